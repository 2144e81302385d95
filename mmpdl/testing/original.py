"""The original Panoptic-DeepLab as a reference: an adapter to a checkout.

Imports the original (github.com/bowenc0221/panoptic-deeplab) from a
checkout given on the command line, never copied into this repository, and
wraps its models, post-processing and target generator for
``verify_against_original.py``, the benchmarks and the tests. Its
checkpoint naming is :mod:`mmpdl.converters.original`.
"""
import os.path as osp
import sys
import types
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from mmpdl.converters.key_rules import convert_state_dict
from mmpdl.converters.original import ORIGINAL_RULES
from mmpdl.structures import IGNORE_INDEX, LABEL_DIVISOR
from mmpdl.structures.panoptic_ids import id_to_rgb, rgb_to_id
from mmpdl.utils.safe_load import load_url_weights_only

#: (N, 3, H, W) random images whose batch statistics become the BN
#: running statistics in :func:`randomize`
CALIBRATION_SHAPE = (2, 3, 257, 513)
_NEEDED = ('segmentation/model/post_processing/instance_post_processing.py',
           'segmentation/data/transforms/target_transforms.py',
           'segmentation/model/build.py', 'segmentation/config/default.py')
_CONFIGS = dict(
    r50='panoptic_deeplab_R50_os32_cityscapes.yaml',
    mbnv2='panoptic_deeplab_MBNV2_100_os32_cityscapes_bs16_lr_x2.yaml')


def add_original_package(repo):
    """Make the original's ``segmentation`` package importable from
    ``repo``.

    The original imports ``torchvision.models.utils.load_state_dict_from_url``
    which torchvision >= 0.13 dropped; an alias module to mmpdl's
    ``weights_only`` URL loader is installed for this process only (the one
    place mmpdl provides it).

    Raises:
        FileNotFoundError: ``repo`` is not a checkout of the original.
    """
    missing = [p for p in _NEEDED if not osp.isfile(osp.join(repo, p))]
    if missing:
        raise FileNotFoundError(
            f'--original-repo {repo!r} is not a checkout of '
            f'bowenc0221/panoptic-deeplab: missing {missing}. Clone it and '
            'pass its root folder.')
    if 'torchvision.models.utils' not in sys.modules:
        import torchvision.models  # noqa: F401
        alias = types.ModuleType('torchvision.models.utils')
        alias.load_state_dict_from_url = load_url_weights_only
        sys.modules['torchvision.models.utils'] = alias
    # the original's modules import each other as ``segmentation.*``
    repo = osp.abspath(repo)
    if repo not in sys.path:
        sys.path.insert(0, repo)


def import_original(repo):
    """The original's config, model builder and post-processing."""
    add_original_package(repo)
    from segmentation.config import config
    from segmentation.model import build_segmentation_model_from_cfg
    from segmentation.model.post_processing import get_panoptic_segmentation
    return config, build_segmentation_model_from_cfg, get_panoptic_segmentation


def build_original(original, repo, yaml_name):
    """The original model of a YAML config, random init, no downloads."""
    config, build_model, _ = original
    cfg = config.clone()
    cfg.defrost()
    cfg.merge_from_file(osp.join(repo, 'configs', yaml_name))
    cfg.MODEL.BACKBONE.PRETRAINED = False
    cfg.freeze()
    return build_model(cfg)


@torch.no_grad()
def randomize(model, seed):
    """Give a random original model non-trivial, deterministic outputs.

    Decoder convs get N(0, 1/fan_in) weights (x8 for the offset head so
    pixels travel to different centers); BatchNorm running statistics are
    the (cumulative) batch statistics of two training-mode passes over
    random images; then the model is put in eval mode.
    """
    torch.manual_seed(seed)
    offset_convs = set(model.decoder.instance_head.modules()) if hasattr(
        model.decoder, 'instance_head') else set()
    for name, module in model.decoder.named_modules():
        if isinstance(module, nn.Conv2d):
            fan_in = module.weight[0].numel()
            module.weight.normal_(0, fan_in**-0.5)
            if 'offset' in name and module in offset_convs:
                module.weight.mul_(8)
            if module.bias is not None:
                module.bias.normal_(0, 0.1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None
            module.weight.uniform_(0.5, 1.5)
            module.bias.normal_(0, 0.1)
    model.train()
    for _ in range(2):
        model(torch.randn(CALIBRATION_SHAPE))
    model.eval()


def build_mmpdl(config_path, state_dict, rules=ORIGINAL_RULES):
    """Build the mmpdl model of a config (BN, eval) and load ``state_dict``
    strictly, renamed by ``rules`` (default: the original's; None: it has
    mmpdl's names already)."""
    from mmengine import Config
    from mmengine.model import revert_sync_batchnorm

    from mmpdl.datasets import fill_dataset_meta
    from mmpdl.registry import MODELS
    from mmpdl.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(config_path)
    fill_dataset_meta(cfg)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    if rules is not None:
        target = {k: v.shape for k, v in model.state_dict().items()}
        state_dict = convert_state_dict(
            state_dict, target, rules, what=config_path)
    model.load_state_dict(state_dict, strict=True)
    return model.eval()


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
    add_original_package(repo)
    from segmentation.model.post_processing import get_panoptic_segmentation

    def run(sem_probs,
            center,
            offsets,
            thing_ids,
            label_divisor=LABEL_DIVISOR,
            ignore_index=IGNORE_INDEX,
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
                                 label_divisor: int = LABEL_DIVISOR,
                                 ignore_index: int = IGNORE_INDEX):
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
    return id_to_rgb(dense), segments


def original_target_generator(repo: str,
                              thing_ids: Sequence[int],
                              ignore_index: int = IGNORE_INDEX) -> Callable:
    """The original ``PanopticTargetGenerator`` with Cityscapes settings.

    Settings are those of the original Cityscapes configs: sigma 8, stuff
    ignored in the offset loss, weight 3 for instances under 4096 pixels.

    Returns:
        Callable: ``fn(rgb, segments) -> dict`` of the original's targets
        (``semantic``, ``center`` (1, H, W), ``offset`` (2, H, W),
        ``semantic_weights``, ``center_weights``, ``offset_weights``).
    """
    add_original_package(repo)
    from segmentation.data.transforms.target_transforms import \
        PanopticTargetGenerator

    return PanopticTargetGenerator(
        ignore_index,
        rgb_to_id,
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
    return build_original(import_original(repo), repo, _CONFIGS[name])
