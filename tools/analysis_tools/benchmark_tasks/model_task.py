"""Model task: forward (eval) and forward+backward (train) timings.

Both models get the same weights: the original model is built from its YAML
config and given non-trivial weights by ``randomize`` (so outputs are O(1)
and a 1e-4 comparison means something), and mmpdl's model loads them
through the checkpoint conversion (``build_mmpdl``; both from
:mod:`mmpdl.testing.original`). Inputs are one normalised image made from
a synthetic scene; training targets come from the same scene.
"""
import os.path as osp
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

from mmpdl.testing.original import build_mmpdl, original_model, randomize
from .inputs import (IGNORE_INDEX, LABEL_DIVISOR, THING_IDS,
                     post_processing_inputs, synthetic_panoptic)
from .utils import make_row, measure, measure_alternating

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = dict(
    r50=osp.join(ROOT, 'configs', 'panoptic_deeplab',
                 'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py'),
    mbnv2=osp.join(
        ROOT, 'configs', 'panoptic_deeplab',
        'panoptic-deeplab_mobilenetv2-os32_8xb2-90k_cityscapes-1025x2049.py'))
NAMES = dict(r50='R50-os32', mbnv2='MobileNetV2-os32')


def scene_inputs(height: int, width: int) -> Dict[str, torch.Tensor]:
    """A normalised image and training targets from one synthetic scene.

    Returns:
        dict: ``img`` (1, 3, H, W) float32 (the palette colour of each pixel's
        class, ImageNet-normalised, plus noise), ``semantic`` (1, H, W) int64
        (255 ignore), ``center`` (1, 1, H, W), ``offset`` (1, 2, H, W),
        ``semantic_weights``, ``center_weights``, ``offset_weights``
        (1, H, W) float32.
    """
    from cityscapesscripts.helpers.labels import trainId2label
    pan = synthetic_panoptic(height, width, 30, seed=7)
    net = post_processing_inputs(pan, seed=7)
    pan = torch.from_numpy(pan)
    sem = pan // LABEL_DIVISOR
    palette = torch.tensor(
        [trainId2label[i].color for i in range(19)] + [(0, 0, 0)] * 237,
        dtype=torch.float32)
    img = palette[sem].permute(2, 0, 1)[None] / 255.0
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    gen = torch.Generator().manual_seed(7)
    img = (img - mean) / std + 0.2 * torch.randn(img.shape, generator=gen)
    thing = torch.zeros_like(sem, dtype=torch.bool)
    for t in THING_IDS:
        thing |= sem == t
    valid = (sem != IGNORE_INDEX).float()
    return dict(
        img=img,
        semantic=sem[None],
        center=net['center'],
        offset=net['offsets'] * thing.float(),
        semantic_weights=torch.where(thing, 3.0, 1.0)[None],
        center_weights=valid[None],
        offset_weights=thing.float()[None])


def build_ours(name: str, original_state: Optional[dict]) -> torch.nn.Module:
    """mmpdl's model of ``name``: converted original weights, else its init.

    Args:
        name (str): ``'r50'`` or ``'mbnv2'``.
        original_state (dict | None): The original model's state dict.

    Returns:
        nn.Module: The segmentor in eval mode (SyncBN reverted to BN).
    """
    if original_state is not None:
        return build_mmpdl(CONFIGS[name], original_state)
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm

    from mmpdl.datasets import fill_dataset_meta
    from mmpdl.registry import MODELS
    from mmpdl.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(CONFIGS[name])
    fill_dataset_meta(cfg)
    return revert_sync_batchnorm(MODELS.build(cfg.model)).eval()


def original_targets(inputs: Dict[str, torch.Tensor]) -> Dict:
    """The training targets in the original's batch format."""
    return {k: v for k, v in inputs.items() if k != 'img'}


def max_diff(ours: Dict[str, torch.Tensor],
             theirs: Dict[str, torch.Tensor]) -> Dict[str, float]:
    """Largest absolute difference and the reference's scale per output.

    Args:
        ours (dict): ``sem_seg``, ``center``, ``offset`` (N, C, H, W).
        theirs (dict): The original's ``semantic``, ``center``, ``offset``.

    Returns:
        dict: ``max_abs_diff`` and ``max_abs_ref`` (float) over the three.
    """
    pairs = (('sem_seg', 'semantic'), ('center', 'center'), ('offset',
                                                             'offset'))
    diff = max(
        float((ours[a].float() - theirs[b].float()).abs().max())
        for a, b in pairs)
    ref = max(float(theirs[b].abs().max()) for _, b in pairs)
    return dict(max_abs_diff=diff, max_abs_ref=ref)


def _ours_dense(model: torch.nn.Module, img: torch.Tensor) -> Dict:
    """Our model's outputs upsampled to the input size, as in ``predict``.

    Returns:
        dict: ``sem_seg`` (N, 19, H, W), ``center`` (N, 1, H, W),
        ``offset`` (N, 2, H, W), like the original's ``forward``.
    """
    return model._forward(img)


def _ours_loss(model: torch.nn.Module, inputs: Dict) -> torch.Tensor:
    """Sum of our model's losses on the scene (one training step's loss)."""
    from mmengine.structures import PixelData

    from mmpdl.structures import PanopticDataSample
    sample = PanopticDataSample()
    h, w = inputs['img'].shape[-2:]
    sample.set_metainfo(
        dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
    sample.gt_sem_seg = PixelData(data=inputs['semantic'])
    sample.gt_center = PixelData(data=inputs['center'][0])
    sample.gt_offset = PixelData(data=inputs['offset'][0])
    sample.gt_sem_weights = PixelData(data=inputs['semantic_weights'])
    sample.gt_center_weights = PixelData(data=inputs['center_weights'])
    sample.gt_offset_weights = PixelData(data=inputs['offset_weights'])
    losses = model.loss(inputs['img'], [sample])
    return sum(v for k, v in losses.items() if 'loss' in k)


def _train_step(loss_fn, model):
    """Zero grads, compute the loss, backward; return the loss value.

    The RNG is re-seeded first so both sides draw the same dropout masks (both
    models apply ``Dropout(0.5)`` after the ASPP projections, in the same
    order), which makes their training losses comparable.
    """
    torch.manual_seed(0)
    model.zero_grad(set_to_none=True)
    loss = loss_fn()
    loss.backward()
    return float(loss.detach())


def _theirs_from_row(row: Dict) -> Optional[Dict]:
    """The original's fp32 measurement stored in a row (or None)."""
    if row['theirs_ms'] is None:
        return None
    return dict(
        median_ms=row['theirs_ms'],
        runs_ms=row['theirs_runs_ms'],
        peak_mib=row['theirs_peak_mib'],
        peak_above_start_mib=row['theirs_peak_above_start_mib'])


def _amp_rows(model, inputs: Dict, label: str, fp32_rows: List, warmup: int,
              repeats: int) -> List:
    """Ours with fp16 autocast + channels_last vs the original in fp32."""
    model = model.to(memory_format=torch.channels_last)
    inputs = dict(
        inputs,
        img=inputs['img'].contiguous(memory_format=torch.channels_last))
    rows = []
    model.eval()
    with torch.no_grad(), torch.autocast('cuda', dtype=torch.float16):
        ours = measure(lambda: _ours_dense(model, inputs['img']), 'cuda',
                       warmup, repeats)
    ours.pop('output')
    rows.append(
        make_row(f'{label} forward (eval, AMP+channels_last)', ours,
                 _theirs_from_row(fp32_rows[0]), 'original fp32', None,
                 'fp16: not compared'))
    model.train()

    def amp_loss():
        with torch.autocast('cuda', dtype=torch.float16):
            return _ours_loss(model, inputs)

    ours = measure(lambda: _train_step(amp_loss, model), 'cuda', warmup,
                   repeats)
    rows.append(
        make_row(f'{label} forward+backward (train, AMP+channels_last)', ours,
                 _theirs_from_row(fp32_rows[1]), 'original fp32', None,
                 f"fp16 loss {ours['output']:.4f}"))
    return rows


def _measure_sides(ours_fn: Callable[[], Any],
                   theirs_fn: Optional[Callable[[], Any]], device: str,
                   warmup: int, repeats: int) -> Tuple[Dict, Optional[Dict]]:
    """Time ours alone, or ours and the original in turns.

    Taking turns (``measure_alternating``) gives both sides the same share
    of a CPU whose load changes during the minutes a model run takes.

    Returns:
        tuple[dict, dict | None]: ``measure`` results of ours and theirs.
    """
    if theirs_fn is None:
        return measure(ours_fn, device, warmup, repeats), None
    ours, theirs = measure_alternating([ours_fn, theirs_fn], device, warmup,
                                       repeats)
    return ours, theirs


def run_model(name: str, height: int, width: int, device: str, warmup: int,
              repeats: int, amp: bool, original_repo: Optional[str]) -> List:
    """Eval forward and train forward+backward of one model, both sides.

    Args:
        name (str): ``'r50'`` or ``'mbnv2'``.
        height, width (int): Input size (1025x2049 for the real benchmark).
        device (str): ``'cpu'`` or ``'cuda'``.
        warmup, repeats (int): See :func:`.utils.measure`.
        amp (bool): Also time ours with fp16 autocast and channels_last.
        original_repo (str | None): Original checkout (None: ours only).

    Returns:
        list[dict]: Rows ``<model> forward (eval)``, ``<model>
        forward+backward (train)`` (+ two AMP rows when ``amp``).
    """
    inputs = {k: v.to(device) for k, v in scene_inputs(height, width).items()}
    img = inputs['img']
    theirs_model = state = None
    if original_repo is not None:
        theirs_model = original_model(original_repo, name)
        randomize(theirs_model, seed=0)
        state = theirs_model.state_dict()
        theirs_model.to(device)
    not_converted = None
    try:
        ours_model = build_ours(name, state).to(device)
    except Exception as exc:  # time anyway; say why nothing is compared
        if state is None:
            raise
        print(
            f'[benchmark] {name}: converting the original weights '
            f'failed, timing without them:\n{exc}',
            file=sys.stderr)
        not_converted = (f'weights not converted ({type(exc).__name__}, '
                         'see stderr); not compared')
        ours_model = build_ours(name, None).to(device)
    label, rows = NAMES[name], []
    ours_model.eval()
    if theirs_model is not None:
        theirs_model.eval()
    with torch.no_grad():
        theirs_fn = (None if theirs_model is None else
                     (lambda: theirs_model(img)))
        ours, theirs = _measure_sides(lambda: _ours_dense(ours_model, img),
                                      theirs_fn, device, warmup, repeats)
    equal, detail, extra = None, 'original not run', {}
    if theirs_model is not None:
        if not_converted:
            detail = not_converted
        else:
            extra = max_diff(ours['output'], theirs['output'])
            equal = extra['max_abs_diff'] <= 1e-4
            detail = (f"max abs diff {extra['max_abs_diff']:.2e} "
                      f"(outputs up to {extra['max_abs_ref']:.1f})")
    for result in (ours, theirs or {}):
        result.pop('output', None)  # free the (N, C, H, W) outputs
    rows.append(
        make_row(
            f'{label} forward (eval)',
            ours,
            theirs,
            'original',
            equal,
            detail,
            size=[height, width],
            **extra))
    targets = original_targets(inputs)
    ours_model.train()
    if theirs_model is not None:
        theirs_model.train()
    theirs_fn = None if theirs_model is None else (lambda: _train_step(
        lambda: theirs_model(img, targets)['loss'], theirs_model))
    ours, theirs = _measure_sides(
        lambda: _train_step(lambda: _ours_loss(ours_model, inputs), ours_model
                            ), theirs_fn, device, warmup, repeats)
    equal, detail, extra = None, 'original not run', {}
    if theirs_model is not None:
        extra = dict(loss_ours=ours['output'], loss_original=theirs['output'])
        detail = (f"loss {ours['output']:.6f} vs {theirs['output']:.6f}")
        if not_converted:
            detail = not_converted
        else:
            diff = abs(ours['output'] - theirs['output'])
            equal = diff <= 1e-4 * max(1.0, abs(theirs['output']))
    rows.append(
        make_row(
            f'{label} forward+backward (train)',
            ours,
            theirs,
            'original',
            equal,
            detail,
            size=[height, width],
            **extra))
    if amp:
        rows.extend(
            _amp_rows(ours_model, inputs, label, rows, warmup, repeats))
    return rows
