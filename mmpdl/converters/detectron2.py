"""detectron2's Panoptic-DeepLab checkpoints: key names and conversion.

detectron2 (github.com/facebookresearch/detectron2, projects/Panoptic-DeepLab)
publishes ``model_final_*.pkl`` files (a pickled dict of numpy arrays under
``'model'``); its trainer saves ``.pth`` files with the same ``'model'``
entry (:func:`~mmpdl.converters.checkpoint_io.read_detectron2_state_dict`
reads both without running code from the file).

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
(:data:`mmpdl.converters.original.BACKBONE_RULES`) and the head rules are
detectron2's.

``num_batches_tracked`` counters that detectron2 lacks (frozen norms) are
written as 0; ``pixel_mean`` / ``pixel_std`` (older checkpoints) must equal
the config's ``data_preprocessor`` mean and std.
"""
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional

import torch
from mmengine import Config

from mmpdl.datasets.config_meta import config_dataset_meta
from mmpdl.datasets.panoptic_categories import (metainfo_from_categories,
                                                read_categories_file)
from .checkpoint_io import (conversion_meta, read_detectron2_state_dict,
                            read_state_dict, save_converted,
                            save_detectron2_pkl)
from .key_rules import (KeyMappingError, KeyRule, convert_back,
                        convert_state_dict, model_tensor_shapes, rename_keys)
from .original import BACKBONE_RULES as ORIGINAL_BACKBONE_RULES

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
CONVERTER = 'tools/model_converters/detectron2_to_mmpdl.py'


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


def _check_pixel_stats(pixel, cfg, what):
    """detectron2's pixel_mean/std against the config's preprocessor."""
    preprocessor = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or {}
    problems = []
    for d2_key, our_key in (('pixel_mean', 'mean'), ('pixel_std', 'std')):
        if d2_key not in pixel:
            continue
        theirs = pixel[d2_key].reshape(-1).double()
        ours = torch.tensor(preprocessor.get(our_key), dtype=torch.float64)
        if theirs.shape != ours.shape or not torch.allclose(
                theirs, ours, atol=1e-3):
            problems.append(f'{d2_key} {theirs.tolist()} vs '
                            f'data_preprocessor.{our_key} {ours.tolist()}')
    if problems:
        raise KeyMappingError(
            f'{what}: the checkpoint normalises images differently from the '
            'config; use the config of the same detectron2 model',
            {'pixel statistics (checkpoint vs config)': problems})


def _rename_into(weights, counters, shapes, rules, what):
    """Rename ``weights`` and ``counters`` to fill ``shapes`` exactly.

    Args:
        weights (dict[str, Tensor]): detectron2 key -> tensor (no
            counters).
        counters (dict[str, Tensor]): detectron2 ``num_batches_tracked``
            entries.
        shapes (dict[str, torch.Size]): Every mmpdl key to fill (counters
            included) with its shape.
        rules (list[KeyRule]): detectron2 -> mmpdl rules.
        what (str): Names the checkpoint in errors.

    Returns:
        OrderedDict[str, Tensor]: In the order of ``shapes``; counters the
        file lacks (frozen norms) are 0.
    """
    target = OrderedDict(
        (k, s) for k, s in shapes.items() if not k.endswith(NUM_BATCHES))
    converted = convert_state_dict(weights, target, rules, what=what)
    renamed, _ = rename_keys(counters, rules)
    unknown = [f'{s} -> {d}' for s, d in renamed.items() if d not in shapes]
    unknown += [s for s in counters if s not in renamed]
    if unknown:
        raise KeyMappingError(f'cannot convert {what}',
                              {'source counters the model lacks': unknown})
    filled = {d: counters[s] for s, d in renamed.items()}
    result = OrderedDict()
    for key in shapes:  # the model's order, counters included
        if key.endswith(NUM_BATCHES):
            result[key] = filled.get(key, torch.tensor(0, dtype=torch.long))
        else:
            result[key] = converted[key]
    return result


def convert_weights(state, cfg, what):
    """detectron2 state dict -> mmpdl state dict of ``cfg``'s model.

    Args:
        state (dict[str, Tensor]): detectron2 key -> tensor.
        cfg (Config): The mmpdl config.
        what (str): Names the checkpoint in errors.

    Returns:
        OrderedDict[str, Tensor]: In the model's key order.

    Raises:
        KeyMappingError: listing unmatched keys of both sides, shape
            mismatches and pixel statistics that differ from the config.
    """
    weights, pixel, counters = split_extras(state)
    _check_pixel_stats(pixel, cfg, what)
    shapes = model_tensor_shapes(cfg)
    rules = detectron2_rules(shapes, cfg.model.backbone.type)
    return _rename_into(weights, counters, shapes, rules, what)


#: ImageNet classifier prefixes a backbone-only file may carry
CLASSIFIERS = ('fc.', 'linear.')
BACKBONE = 'backbone.'


def convert_backbone_weights(state, cfg, what):
    """detectron2 ImageNet backbone -> the config's backbone state dict.

    Args:
        state (dict[str, Tensor]): detectron2 backbone key (``stem.*``,
            ``res{2..5}.*``, with or without ``backbone.``) -> tensor.
        cfg (Config): The mmpdl config whose ``model.backbone`` is filled.
        what (str): Names the checkpoint in errors.

    Returns:
        OrderedDict[str, Tensor]: The backbone's own keys (no
        ``backbone.`` prefix), counters 0 where the file has none.

    Raises:
        KeyMappingError: listing unmatched keys of both sides.
    """
    if backbone_naming(cfg.model.backbone.type) != 'detectron2':
        raise ValueError(
            f'{what}: --backbone-only converts detectron2\'s ImageNet ResNets;'
            f' the config\'s {cfg.model.backbone.type} loads its ImageNet '
            'weights as published (its init_cfg), without conversion')
    weights, _, counters = split_extras(state)

    def prefixed(entries):
        return OrderedDict((k if k.startswith(BACKBONE) else BACKBONE + k, v)
                           for k, v in entries.items()
                           if not k.startswith(CLASSIFIERS))

    shapes = model_tensor_shapes(cfg)
    backbone = OrderedDict(
        (k, s) for k, s in shapes.items() if k.startswith(BACKBONE))
    result = _rename_into(
        prefixed(weights), prefixed(counters), backbone,
        backbone_rules('backbone.stem.0.weight' in shapes), what)
    return OrderedDict((k[len(BACKBONE):], v) for k, v in result.items())


def backbone_to_mmpdl(src: str, dst: str, config_path: str) -> int:
    """detectron2 ImageNet backbone file ``src`` -> the state dict of
    ``config_path``'s backbone in ``dst``; returns the number of tensors."""
    result = convert_backbone_weights(
        read_detectron2_state_dict(src), Config.fromfile(config_path),
        f'{src} (backbone only) with config {config_path}')
    save_converted(
        result, dst,
        conversion_meta(src, config_path, CONVERTER, 'detectron2 backbone'))
    return len(result)


def classes_to_store(cfg: Config, categories: Optional[str] = None):
    """The classes to store with the weights (a dict,
    :meth:`PanopticMetaInfo.to_dict`): from ``categories`` (a JSON file) if
    given, else from the config's dataset; None when that dataset reads
    them from its annotation file, which is not here."""
    if categories:
        data = read_categories_file(categories, '--categories')
        return metainfo_from_categories(data or [], source=categories)
    meta = config_dataset_meta(cfg)
    return None if meta is None else meta.to_dict()


def detectron2_to_mmpdl(src: str,
                        dst: str,
                        config_path: str,
                        categories: Optional[str] = None) -> int:
    """detectron2 file ``src`` -> mmpdl checkpoint ``dst`` (with
    ``meta['dataset_meta']``, see :func:`classes_to_store`); returns the
    number of tensors."""
    cfg = Config.fromfile(config_path)
    dataset_meta = classes_to_store(cfg, categories)
    result = convert_weights(
        read_detectron2_state_dict(src), cfg,
        f'{src} with config {config_path}')
    meta = conversion_meta(src, config_path, CONVERTER, 'detectron2')
    if dataset_meta is None:
        print(f'note: the dataset of {config_path} reads its classes from '
              'its annotation file, so no dataset_meta is stored; pass '
              '--categories to store them')
    else:
        meta['dataset_meta'] = dataset_meta
    save_converted(result, dst, meta)
    return len(result)


def mmpdl_to_detectron2(src: str, dst: str, config_path: str) -> int:
    """mmpdl checkpoint ``src`` -> detectron2's model-zoo ``.pkl``
    (:func:`save_detectron2_pkl`; ``num_batches_tracked`` counters are
    kept); returns the number of tensors."""
    cfg = Config.fromfile(config_path)
    shapes = model_tensor_shapes(cfg)
    converted = convert_back(
        read_state_dict(src),
        shapes,
        detectron2_rules(shapes, cfg.model.backbone.type),
        'detectron2\'s Panoptic-DeepLab',
        what=f'{src} with config {config_path}')
    save_detectron2_pkl(converted, dst, 'mmpdl ' + CONVERTER)
    return len(converted)
