"""Import the original Panoptic-DeepLab implementation for benchmarking.

The original (github.com/bowenc0221/panoptic-deeplab) is imported from a
checkout given on the command line, never copied into this repository, by
``tools/model_converters/verify_against_original.py`` (which also provides
the ``torchvision.models.utils`` alias the original needs): the suite and the
converter check set the original up the same way.
"""
import importlib.util
import os
import sys
from typing import Callable, Sequence

import numpy as np
import torch

_NEEDED = ('segmentation/model/post_processing/instance_post_processing.py',
           'segmentation/data/transforms/target_transforms.py',
           'segmentation/model/build.py', 'segmentation/config/default.py')
_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_VERIFY_TOOL = 'verify_against_original'
_CONFIGS = dict(
    r50='panoptic_deeplab_R50_os32_cityscapes.yaml',
    mbnv2='panoptic_deeplab_MBNV2_100_os32_cityscapes_bs16_lr_x2.yaml')


def verify_tool():
    """``tools/model_converters/verify_against_original.py`` as a module
    (loaded once): its ``add_original_to_path``, ``build_original``,
    ``randomize`` and ``build_mmpdl`` are reused by the suite."""
    if _VERIFY_TOOL not in sys.modules:
        path = os.path.join(_ROOT, 'tools', 'model_converters',
                            'verify_against_original.py')
        spec = importlib.util.spec_from_file_location(_VERIFY_TOOL, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[_VERIFY_TOOL] = module
    return sys.modules[_VERIFY_TOOL]


def add_original_to_path(repo: str) -> None:
    """Make the original's ``segmentation`` package importable.

    Args:
        repo (str): Root of a checkout of bowenc0221/panoptic-deeplab.

    Raises:
        FileNotFoundError: When ``repo`` lacks a file the suite uses.
    """
    missing = [p for p in _NEEDED if not os.path.isfile(os.path.join(repo, p))]
    if missing:
        raise FileNotFoundError(
            f'--original-repo {repo!r} is not a checkout of '
            f'bowenc0221/panoptic-deeplab: missing {missing}. Clone it and '
            'pass its root folder.')
    verify_tool().add_original_to_path(repo)


def original_post_processing(repo: str) -> Callable[..., torch.Tensor]:
    """The original's panoptic post-processing as ``fn(sem, ctr, off)``.

    Args:
        repo (str): Root of the original checkout.

    Returns:
        Callable: ``fn(sem_probs, center, offsets, thing_ids, label_divisor,
        ignore_index, stuff_area, center_threshold, nms_kernel, top_k)``
        taking (1, C, H, W), (1, 1, H, W), (1, 2, H, W) tensors and returning
        the (H, W) int64 panoptic map (void = ignore_index * label_divisor).
    """
    add_original_to_path(repo)
    from segmentation.model.post_processing import get_panoptic_segmentation

    def run(sem_probs,
            center,
            offsets,
            thing_ids,
            label_divisor=1000,
            ignore_index=255,
            stuff_area=2048,
            center_threshold=0.1,
            nms_kernel=7,
            top_k=200):
        panoptic, _ = get_panoptic_segmentation(
            sem_probs,
            center,
            offsets,
            thing_list=list(thing_ids),
            label_divisor=label_divisor,
            stuff_area=stuff_area,
            void_label=label_divisor * ignore_index,
            threshold=center_threshold,
            nms_kernel=nms_kernel,
            top_k=top_k)
        return panoptic[0]

    return run


def panoptic_to_rgb_and_segments(panoptic: np.ndarray,
                                 thing_ids: Sequence,
                                 label_divisor: int = 1000,
                                 ignore_index: int = 255):
    """Convert an mmpdl panoptic map to the original's target-input format.

    The original's dataset gives its target generator an RGB image whose
    colour encodes a segment id (``R + 256 G + 256^2 B``) and a list of
    segments with train-id ``category_id`` and ``iscrowd`` (a thing class
    with k = 0 is a crowd region); void pixels belong to no segment.

    Args:
        panoptic (np.ndarray): (H, W) int64, ``train_id * label_divisor + k``.
        thing_ids (Sequence[int]): Train ids of thing classes.
        label_divisor (int): Divisor of the encoding.
        ignore_index (int): Category of void.

    Returns:
        tuple: (H, W, 3) uint8 RGB image and the list of segment dicts.
    """
    values, dense = np.unique(panoptic, return_inverse=True)
    dense = dense.reshape(panoptic.shape) + 1
    segments = []
    for i, value in enumerate(values.tolist()):
        cat = value // label_divisor
        if cat == ignore_index:
            dense[dense == i + 1] = 0
            continue
        crowd = cat in thing_ids and value % label_divisor == 0
        segments.append(dict(id=i + 1, category_id=cat, iscrowd=int(crowd)))
    rgb = np.stack([dense % 256, dense // 256 % 256, dense // 65536], -1)
    return rgb.astype(np.uint8), segments


def original_target_generator(repo: str,
                              thing_ids: Sequence[int],
                              ignore_index: int = 255) -> Callable:
    """The original ``PanopticTargetGenerator`` with Cityscapes settings.

    Settings are those of the original Cityscapes configs: sigma 8, stuff
    ignored in the offset loss, weight 3 for instances under 4096 pixels.

    Returns:
        Callable: ``fn(rgb, segments) -> dict`` of the original's targets
        (``semantic``, ``center`` (1, H, W), ``offset`` (2, H, W),
        ``semantic_weights``, ``center_weights``, ``offset_weights``).
    """
    add_original_to_path(repo)
    from segmentation.data.transforms.target_transforms import \
        PanopticTargetGenerator

    def rgb2id(color):
        color = color.astype(np.int32)
        return color[..., 0] + 256 * color[..., 1] + 65536 * color[..., 2]

    return PanopticTargetGenerator(
        ignore_index,
        rgb2id,
        list(thing_ids),
        sigma=8,
        ignore_stuff_in_offset=True,
        small_instance_area=4096,
        small_instance_weight=3)


def original_model(repo: str, name: str) -> torch.nn.Module:
    """Build the original model from its Cityscapes YAML config.

    Args:
        repo (str): Root of the original checkout.
        name (str): ``'r50'`` or ``'mbnv2'`` (the os32 Cityscapes configs).

    Returns:
        nn.Module: Randomly initialised model (no download: its ImageNet
        ``PRETRAINED`` flag is switched off); ``forward(x)`` returns a dict
        with ``semantic``, ``center``, ``offset`` at input size.
    """
    if name not in _CONFIGS:
        raise KeyError(f'Unknown model {name!r}; choose from '
                       f'{sorted(_CONFIGS)}.')
    add_original_to_path(repo)
    tool = verify_tool()
    return tool.build_original(
        tool.import_original(repo), repo, _CONFIGS[name])
