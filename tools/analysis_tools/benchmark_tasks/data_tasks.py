"""Post-processing and target-generation tasks of the benchmark suite.

Each task builds identical inputs for both sides, runs each side once to
check the outputs agree, then times it (see :func:`.utils.measure`).
"""
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from mmpdl.datasets import CITYSCAPES_META, CITYSCAPES_PANOPTIC_META
from .inputs import (IGNORE_INDEX, LABEL_DIVISOR, THING_IDS,
                     post_processing_inputs, synthetic_panoptic)
from .utils import make_row, measure, measure_alternating


def _to(inputs: Dict[str, torch.Tensor], device: str) -> Dict[str, Any]:
    return {k: v.to(device) for k, v in inputs.items()}


def tie_explained_diff(ours: torch.Tensor, theirs: torch.Tensor,
                       semantic: torch.Tensor) -> Dict[str, int]:
    """Count pixels where two panoptic maps differ, and which are ties.

    A differing pixel is explained by a tie when it lies in a thing segment
    of ``theirs`` whose majority vote over ``semantic`` has two classes with
    exactly the same top count (either class is then a valid answer).

    Args:
        ours (Tensor): (H, W) int64 panoptic map.
        theirs (Tensor): (H, W) int64 panoptic map.
        semantic (Tensor): (H, W) int64 argmax class map used by both.

    Returns:
        dict: ``differing_pixels`` and ``unexplained_pixels`` (int).
    """
    diff = ours != theirs
    n_diff = int(diff.sum())
    unexplained = n_diff
    for seg_id in torch.unique(theirs[diff]).tolist():
        if seg_id // LABEL_DIVISOR not in THING_IDS:
            continue
        seg = theirs == seg_id
        votes = torch.bincount(semantic[seg]).sort(descending=True).values
        if votes.numel() > 1 and votes[0] == votes[1]:
            unexplained -= int((diff & seg).sum())
    return dict(differing_pixels=n_diff, unexplained_pixels=unexplained)


def run_post_processing(height: int,
                        width: int,
                        device: str,
                        warmup: int,
                        repeats: int,
                        original_repo: Optional[str],
                        num_instances: int = 30) -> List:
    """Post-processing of one (1, 19, H, W) image: ours vs the original.

    Args:
        num_instances (int): Thing instances drawn in the scene (one
            center peak each).

    Returns:
        list[dict]: One row (see :func:`.utils.make_row`).
    """
    from mmpdl.models.post_processing import get_panoptic_segmentation
    panoptic = synthetic_panoptic(
        height, width, num_instances=num_instances, seed=0)
    inputs = _to(post_processing_inputs(panoptic, seed=0), device)
    args = (inputs['sem_probs'], inputs['center'], inputs['offsets'],
            list(THING_IDS))
    kwargs = dict(
        label_divisor=LABEL_DIVISOR,
        ignore_index=IGNORE_INDEX,
        stuff_area=2048,
        center_threshold=0.1,
        nms_kernel=7,
        top_k=200)

    def ours_fn():
        return get_panoptic_segmentation(*args, **kwargs)[0]['panoptic']

    fns = [ours_fn]
    if original_repo is not None:
        from mmpdl.testing.original import original_post_processing
        original = original_post_processing(original_repo)
        fns.append(lambda: original(*args, **kwargs))
    # both sides in turns: the same share of a CPU whose load changes
    ours, *theirs = measure_alternating(fns, device, warmup, repeats)
    out = ours['output'].cpu()
    extra = dict(
        size=[height, width],
        instances_in_scene=int(
            np.unique(
                panoptic[(panoptic % LABEL_DIVISOR > 0)
                         & (panoptic < IGNORE_INDEX * LABEL_DIVISOR)]).size),
        segments_ours=int(torch.unique(out).numel()))
    on_device = ''
    if device != 'cpu':  # the same inputs on the CPU give the same map
        cpu_args = [t.cpu() for t in args[:3]] + [args[3]]
        cpu_out = get_panoptic_segmentation(*cpu_args, **kwargs)[0]['panoptic']
        extra['pixels_differing_from_cpu'] = int((cpu_out != out).sum())
        on_device = f"; {extra['pixels_differing_from_cpu']} px differ " \
            'from ours on the CPU'
    if not theirs:
        return [
            make_row('post-processing', ours, None, 'original', None,
                     'original not run' + on_device, **extra)
        ]
    theirs = theirs[0]
    counts = tie_explained_diff(out, theirs['output'].cpu(),
                                inputs['sem_probs'].argmax(1)[0].cpu())
    extra.update(counts)
    detail = (f"{counts['differing_pixels']} px differ, "
              f"{counts['unexplained_pixels']} not ties{on_device}")
    return [
        make_row(
            'post-processing', ours, theirs, 'original',
            counts['unexplained_pixels'] == 0
            and not extra.get('pixels_differing_from_cpu'), detail, **extra)
    ]


# (ours: results key, original: target key)
_TARGET_PAIRS = (('gt_seg_map', 'semantic'), ('gt_center', 'center'),
                 ('gt_offset', 'offset'), ('gt_sem_weights',
                                           'semantic_weights'),
                 ('gt_center_weights', 'center_weights'), ('gt_offset_weights',
                                                           'offset_weights'))


def _label_id_segments(segments: List[dict]) -> List[dict]:
    """The original's segment list (train-id ``category_id``) with
    Cityscapes label ids, the form mmpdl's dataset JSON holds."""
    label_ids = CITYSCAPES_META['label_ids']
    return [dict(s, category_id=label_ids[s['category_id']]) for s in segments]


def run_target_generation(height: int,
                          width: int,
                          warmup: int,
                          repeats: int,
                          original_repo: Optional[str],
                          num_instances: int = 30) -> List:
    """Training targets of one panoptic label: ours vs the original.

    Like for like: both sides start from the same id-encoding RGB image and
    segment list (what a panoptic PNG and its JSON hold; reading the PNG is
    not timed). The original decodes the RGB inside its
    ``PanopticTargetGenerator``; ours runs ``LoadPanopticAnnotations``'s
    decoding (``rgb_to_id`` + ``decode``) then ``GeneratePanopticTargets``.

    Returns:
        list[dict]: One row; ``max_abs_diff`` over the six targets.
    """
    from mmpdl.datasets.transforms import (GeneratePanopticTargets,
                                           LoadPanopticAnnotations)
    from mmpdl.structures.panoptic_ids import rgb_to_id
    from mmpdl.testing.original import panoptic_to_rgb_and_segments
    panoptic = synthetic_panoptic(
        height, width, num_instances=num_instances, seed=1)
    rgb, segments = panoptic_to_rgb_and_segments(panoptic, THING_IDS)
    info = _label_id_segments(segments)
    meta = CITYSCAPES_PANOPTIC_META
    loader = LoadPanopticAnnotations()
    transform = GeneratePanopticTargets()

    def ours_fn():
        sem, pan = loader.decode(rgb_to_id(rgb), info, meta)
        return transform.transform(
            dict(gt_panoptic_seg=pan, gt_seg_map=sem, panoptic_meta=meta))

    ours = measure(ours_fn, 'cpu', warmup, repeats)
    extra = dict(size=[height, width])
    if original_repo is None:
        return [
            make_row('target generation', ours, None, 'original', None,
                     'original not run', **extra)
        ]
    from mmpdl.testing.original import original_target_generator
    generator = original_target_generator(original_repo, THING_IDS)
    theirs = measure(lambda: generator(rgb, segments), 'cpu', warmup, repeats)
    diffs = {}
    for ours_key, their_key in _TARGET_PAIRS:
        a = torch.as_tensor(np.asarray(ours['output'][ours_key])).double()
        b = theirs['output'][their_key].double()
        if a.numel() != b.numel():
            raise ValueError(f'{ours_key} has shape {tuple(a.shape)} but the '
                             f'original {their_key} {tuple(b.shape)}')
        diffs[their_key] = float((a.reshape(b.shape) - b).abs().max())
    worst = max(diffs, key=diffs.get)
    extra.update(max_abs_diff=diffs[worst], max_abs_diff_per_target=diffs)
    return [
        make_row('target generation', ours, theirs, 'original', diffs[worst]
                 <= 1e-4,
                 (f'all {len(diffs)} targets identical' if diffs[worst] == 0
                  else f'max abs diff {diffs[worst]:.1e} ({worst})'), **extra)
    ]


def run_post_processing_batch(height: int,
                              width: int,
                              batch: int,
                              device: str,
                              warmup: int,
                              repeats: int,
                              num_instances: int = 30) -> List:
    """Ours on a batch of ``batch`` scenes (no comparison).

    Returns:
        list[dict]: One row, ``ours_ms`` per image.
    """
    from mmpdl.models.post_processing import get_panoptic_segmentation
    scenes = [
        post_processing_inputs(
            synthetic_panoptic(
                height, width, num_instances=num_instances, seed=seed),
            seed=seed) for seed in range(batch)
    ]
    inputs = [
        torch.cat([scene[key] for scene in scenes]).to(device)
        for key in ('sem_probs', 'center', 'offsets')
    ]
    result = measure(
        lambda: get_panoptic_segmentation(
            *inputs,
            list(THING_IDS),
            label_divisor=LABEL_DIVISOR,
            ignore_index=IGNORE_INDEX), device, warmup, repeats)
    result['median_ms'] /= batch
    return [
        make_row(
            f'post-processing (batch of {batch}, per image)',
            result,
            None,
            'original',
            None,
            'ours only',
            size=[height, width])
    ]
