"""detectron2's Panoptic-DeepLab checkpoints: reading and key names.

detectron2 (github.com/facebookresearch/detectron2, projects/Panoptic-DeepLab)
publishes its models as ``.pkl`` files: a pickled dict ``{'model': {name:
numpy array}, '__author__': ...}``; its ``Checkpointer`` saves ``.pth``
files ``{'model': state dict, 'optimizer': ..., 'iteration': ...}``.
:func:`read_detectron2_state_dict` reads both without running code from the
file (:func:`mmpdl.utils.safe_load.load_numpy_pickle`,
``torch.load(weights_only=True)``).

:func:`detectron2_rules` renames detectron2's keys to those of mmpdl's
model: detectron2's ResNet (``stem.conv{1,2,3}``, ``res{2..5}.{b}.conv{c}``,
``shortcut``, each norm a ``.norm`` child of its conv) to mmseg's ``ResNet``
/ ``ResNetV1c`` (``conv1``/``bn1`` or the deep ``stem.{0..7}``,
``layer{1..4}.{b}.conv{c}``/``bn{c}``, ``downsample.{0,1}``), and the
``sem_seg_head`` / ``ins_embed_head`` (decoder stages named by their input
feature: ``res5`` holds the ASPP, ``res3`` and ``res2`` the low-level
projection and fuse convs; ``head``/``center_head``/``offset_head`` and the
1x1 ``*predictor``) to ``decode_head``'s semantic and instance branches.
Regular and depthwise-separable (``depthwise``/``pointwise``) layouts have
different key names on both sides, so one rule list serves both.

The original implementation's ``tools_d2`` trains the same detectron2 model
with the original's Xception-65 and HRNet-W48 as detectron2 backbones
(``d2_xception_65``, ``d2_hrnet``: subclasses of the original's modules, so
their keys are the original's under ``backbone.``). mmpdl's ``Xception65``
and ``PanopticHRNet`` keep the original's names, so for configs with these
backbones the backbone rule is the original converter's
(:data:`mmpdl.testing.original.BACKBONE_RULES`) and the head rules are
detectron2's.
"""
import os.path as osp
import pickle
import zipfile
from collections import OrderedDict
from typing import Dict, Iterable, List

import numpy as np
import torch

from mmpdl.converters.key_rules import CheckpointFormatError, KeyRule
from mmpdl.testing.original import BACKBONE_RULES as ORIGINAL_BACKBONE_RULES
from mmpdl.utils.safe_load import load_numpy_pickle

#: detectron2 buffers that are preprocessing settings, not weights
PIXEL_STATS = ('pixel_mean', 'pixel_std')
NUM_BATCHES = 'num_batches_tracked'
#: detectron2 head name -> mmpdl branch, and each branch's predictors
#: (detectron2's block and 1x1 conv -> mmpdl's ``{branch}_head`` entry)
BRANCHES = (('sem_seg_head', 'semantic', (('head', 'predictor', 'sem_seg'), )),
            ('ins_embed_head', 'instance',
             (('center_head', 'center_predictor', 'center'),
              ('offset_head', 'offset_predictor', 'offset'))))
#: mmpdl backbone types in detectron2's ResNet naming (detectron2's own rows)
RESNET_BACKBONES = ('ResNet', 'ResNetV1c')
#: mmpdl backbone types in the original's naming (the ``tools_d2`` rows)
TOOLS_D2_BACKBONES = ('Xception65', 'PanopticHRNet')


def _conv_norm(d2: str, ours: str, bn: str = None) -> List[KeyRule]:
    """detectron2 ``Conv2d`` with a ``.norm`` child -> conv + norm keys.

    ``ours`` is the conv's prefix (``ConvModule``: ``x.conv`` and, when
    ``bn`` is None, ``x.bn``); ``bn`` names the norm when it is a sibling
    (mmseg's ResNet: ``conv1`` / ``bn1``).
    """
    norm = bn if bn is not None else ours + '.bn'
    conv = ours if bn is not None else ours + '.conv'
    return [
        KeyRule(d2 + '.norm.{p*}', norm + '.{p*}'),
        KeyRule(d2 + '.weight', conv + '.weight'),
        KeyRule(d2 + '.bias', conv + '.bias'),
    ]


def _separable(d2: str, ours: str) -> List[KeyRule]:
    """``DepthwiseSeparableConv2d`` -> ``DepthwiseSeparableConvModule``."""
    return (_conv_norm(d2 + '.depthwise', ours + '.depthwise_conv') +
            _conv_norm(d2 + '.pointwise', ours + '.pointwise_conv'))


def _block(d2: str, ours: str) -> List[KeyRule]:
    """A fuse/head block in either layout: DSConv or ``Sequential`` of two
    3x3 convs (``{j}`` = 0, 1 on both sides)."""
    return (_separable(d2, ours) + _conv_norm(d2 + '.{j}', ours + '.{j}'))


def backbone_rules(deep_stem: bool) -> List[KeyRule]:
    """detectron2 ResNet -> mmseg ``ResNetV1c`` (deep stem) / ``ResNet``."""
    if deep_stem:  # 3x3 convs 1..3 -> Sequential(conv, bn, relu) x 3
        stem = []
        for i in range(3):
            stem += _conv_norm(f'backbone.stem.conv{i + 1}',
                               f'backbone.stem.{3 * i}',
                               f'backbone.stem.{3 * i + 1}')
    else:
        stem = _conv_norm('backbone.stem.conv1', 'backbone.conv1',
                          'backbone.bn1')
    block = 'backbone.res{s+1}.{b}.'
    layer = 'backbone.layer{s}.{b}.'
    return stem + _conv_norm(
        block + 'conv{c}', layer + 'conv{c}', layer + 'bn{c}') + _conv_norm(
            block + 'shortcut', layer + 'downsample.0', layer + 'downsample.1')


def head_rules(num_low_levels: int) -> List[KeyRule]:
    """Both heads; the low levels ``res{n+1}`` .. ``res2`` are mmpdl's
    ``project``/``fuse`` ``0`` .. ``n-1`` (coarsest first)."""
    rules = []
    for d2_head, branch, predictors in BRANCHES:
        d2 = f'{d2_head}.decoder.'
        ours = f'decode_head.{branch}_decoder.'
        aspp, our_aspp = d2 + 'res5.project_conv.', ours + 'aspp.'
        rules += _separable(aspp + 'convs.{i}', our_aspp + 'aspp_convs.{i}')
        rules += [
            KeyRule(aspp + 'convs.4.1.{p*}',
                    our_aspp + 'image_pool.1.conv.{p*}')
        ]
        rules += _conv_norm(aspp + 'convs.{i}', our_aspp + 'aspp_convs.{i}')
        rules += _conv_norm(aspp + 'project', our_aspp + 'project.0')
        for i in range(num_low_levels):
            stage = f'{d2}res{num_low_levels + 1 - i}.'
            rules += _conv_norm(stage + 'project_conv', f'{ours}project.{i}')
            rules += _block(stage + 'fuse_conv', f'{ours}fuse.{i}')
        for d2_block, d2_predictor, name in predictors:
            ours = f'decode_head.{branch}_head.{name}.'
            rules += _block(f'{d2_head}.{d2_block}', ours + '0')
            rules.append(
                KeyRule(f'{d2_head}.{d2_predictor}.{{p*}}', ours + '1.{p*}'))
    return rules


def backbone_naming(backbone_type: str) -> str:
    """``'detectron2'`` (ResNet) or ``'tools_d2'`` (the original's
    backbones) for an mmpdl backbone ``type`` (a registry scope such as
    ``mmseg.`` is ignored).

    Raises:
        ValueError: naming the type when no detectron2 checkpoint has it.
    """
    name = str(backbone_type).split('.')[-1]
    if name in RESNET_BACKBONES:
        return 'detectron2'
    if name in TOOLS_D2_BACKBONES:
        return 'tools_d2'
    raise ValueError(
        f'the config\'s backbone type {backbone_type!r} has no detectron2 '
        f'checkpoint naming: detectron2\'s rows use {RESNET_BACKBONES}, the '
        f'original\'s tools_d2 rows {TOOLS_D2_BACKBONES}; use the mmpdl '
        'config of the same detectron2 model')


def detectron2_rules(mmpdl_keys: Iterable[str],
                     backbone_type: str) -> List[KeyRule]:
    """The renaming rules for the mmpdl model with these state-dict keys.

    Args:
        mmpdl_keys (Iterable[str]): Keys of the target mmpdl model (its stem
            type and number of low-level features select the rules).
        backbone_type (str): ``model.backbone.type`` of its config: a
            ResNet takes detectron2's ResNet rules, ``Xception65`` /
            ``PanopticHRNet`` (``tools_d2``) keep the original's names.

    Returns:
        list[KeyRule]: detectron2 -> mmpdl rules (``reverse=True`` for the
        other way).

    Raises:
        ValueError: ``backbone_type`` is neither (:func:`backbone_naming`).
    """
    keys = list(mmpdl_keys)
    low_levels = {
        k.split('.')[3]
        for k in keys if k.startswith('decode_head.semantic_decoder.project.')
    }
    if backbone_naming(backbone_type) == 'tools_d2':
        return head_rules(len(low_levels)) + ORIGINAL_BACKBONE_RULES
    deep_stem = 'backbone.stem.0.weight' in keys
    return head_rules(len(low_levels)) + backbone_rules(deep_stem)


def _to_tensor(name: str, value, path: str) -> torch.Tensor:
    if torch.is_tensor(value):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in 'biuf':
        return torch.from_numpy(np.array(value))  # a writable copy
    raise CheckpointFormatError(
        f'{path}: model entry {name!r} is a {type(value).__name__}'
        f'{" of dtype " + str(value.dtype) if hasattr(value, "dtype") else ""}'
        ', not a numeric array or tensor; this is not a detectron2 model '
        'checkpoint.')


#: the first bytes of a ``torch.save`` file in the pre-1.6 (non-zip) format
LEGACY_TORCH_HEADER = pickle.dumps(
    torch.serialization.MAGIC_NUMBER, protocol=2)[:-1]


def is_torch_file(path: str) -> bool:
    """Whether ``path`` was written by ``torch.save`` (zip or legacy)."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, 'rb') as f:
        return f.read(len(LEGACY_TORCH_HEADER)) == LEGACY_TORCH_HEADER


def read_detectron2_state_dict(path: str) -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of a detectron2 ``.pkl`` or ``.pth`` checkpoint.

    A ``torch.save`` file (zip, or the legacy format of PyTorch < 1.6 in
    which older detectron2 trainers, e.g. the original's ``tools_d2``, may
    have saved) is read with ``torch.load(weights_only=True)``; anything
    else with the numpy-only unpickler. The weights are
    the ``'model'`` entry (or the whole dict if it has none); numpy arrays
    become tensors of the same dtype and shape; a ``module.`` prefix on every
    key is removed.

    Args:
        path (str): ``model_final_*.pkl`` or a ``.pth`` of its Checkpointer.

    Returns:
        OrderedDict[str, Tensor]: detectron2 key -> CPU tensor.

    Raises:
        FileNotFoundError, CheckpointFormatError, UnsafePickleError.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    if is_torch_file(path):
        try:
            obj = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as err:
            raise CheckpointFormatError(
                f'{path} cannot be loaded with torch.load(weights_only=True)'
                f' ({type(err).__name__}: {err})') from err
    else:
        obj = load_numpy_pickle(path)
    if isinstance(obj, dict) and 'model' in obj:
        obj = obj['model']
    if not isinstance(obj, dict) or not obj:
        raise CheckpointFormatError(
            f'{path} holds no model weights: expected a dict with a "model" '
            'entry of arrays (detectron2\'s .pkl / .pth), got '
            f'{type(obj).__name__}.')
    state = OrderedDict(
        (str(k), _to_tensor(k, v, path)) for k, v in obj.items())
    if all(k.startswith('module.') for k in state):
        state = OrderedDict((k[len('module.'):], v) for k, v in state.items())
    return state


def split_extras(state: Dict[str, torch.Tensor]):
    """Separate weights from ``pixel_mean``/``pixel_std`` (preprocessing,
    older checkpoints) and ``num_batches_tracked`` (absent where detectron2
    freezes its norms).

    Returns:
        tuple[OrderedDict, dict, dict]: weights, pixel statistics, counters.
    """
    weights, pixel, counters = OrderedDict(), {}, {}
    for key, value in state.items():
        if key in PIXEL_STATS:
            pixel[key] = value
        elif key.endswith('.' + NUM_BATCHES):
            counters[key] = value
        else:
            weights[key] = value
    return weights, pixel, counters
