"""Convert a detectron2 Panoptic-DeepLab checkpoint to mmpdl (or back).

detectron2 (github.com/facebookresearch/detectron2, projects/Panoptic-DeepLab)
publishes ``model_final_*.pkl`` files (a pickled dict of numpy arrays under
``'model'``); its trainer saves ``.pth`` files with the same ``'model'``
entry. Both are read without running code from the file: ``.pkl`` with an
unpickler that accepts only numpy arrays and plain containers, ``.pth``
with ``torch.load(weights_only=True)``.

Every detectron2 key is renamed to the mmpdl model built from ``--config``
(:func:`mmpdl.converters.detectron2.detectron2_rules`); the config's
backbone type selects the backbone naming: detectron2's ResNet for a
ResNet, the original implementation's for ``Xception65`` and
``PanopticHRNet`` (checkpoints of the original's ``tools_d2``, which wraps
its own backbones in detectron2's model). Every source
tensor must be used once and every model tensor filled with its shape,
otherwise the unmatched keys of both sides are listed and nothing is
written. ``num_batches_tracked`` counters that detectron2 lacks (frozen
norms) are written as 0; ``pixel_mean`` / ``pixel_std`` (older checkpoints)
must equal the config's ``data_preprocessor`` mean and std. The result is
``{'state_dict', 'meta'}`` with ``meta['dataset_meta']`` from the config's
dataset (or from ``--categories`` for datasets whose classes come from
their annotation file, as COCO's), written atomically.

With ``--backbone-only`` it converts ImageNet backbone weights in
detectron2's naming (e.g. the DeepLab project's ``R-52.pkl``, keys
``stem.conv1.*``, ``res2.0.conv1.*`` ...; a classifier ``fc``/``linear`` is
left out) into the state dict of the config's backbone, the file its
``init_cfg=dict(type='Pretrained', checkpoint=...)`` loads.

Examples::

    python tools/model_converters/detectron2_to_mmpdl.py \\
        model_final_bd324a.pkl r52_mmpdl.pth --config CONFIG
    # ImageNet R-52 for training the R-52 configs
    python tools/model_converters/detectron2_to_mmpdl.py \\
        R-52.pkl checkpoints/R-52_mmseg.pth --config CONFIG --backbone-only
    # back to detectron2's model-zoo format (a .pkl detectron2 can load)
    python tools/model_converters/detectron2_to_mmpdl.py \\
        r52_mmpdl.pth model_final.pkl --config CONFIG --reverse
"""
import argparse
import os.path as osp
import pickle
import sys
from collections import OrderedDict

import numpy as np
import torch
from mmengine import Config
from mmengine.fileio import load

from mmpdl.converters.cli import run_conversion
from mmpdl.converters.detectron2 import (NUM_BATCHES, backbone_naming,
                                         backbone_rules, detectron2_rules,
                                         read_detectron2_state_dict,
                                         split_extras)
from mmpdl.converters.key_rules import (KeyMappingError, convert_back,
                                        convert_state_dict, file_sha256,
                                        model_tensor_shapes, read_state_dict,
                                        rename_keys, save_converted)
from mmpdl.datasets.config_meta import config_dataset_meta
from mmpdl.datasets.panoptic_categories import metainfo_from_categories
from mmpdl.utils.atomic_io import atomic_write_bytes
from mmpdl.utils.safe_load import UnsafePickleError

CONVERTER = 'tools/model_converters/detectron2_to_mmpdl.py'
AUTHOR = 'mmpdl ' + CONVERTER


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a detectron2 Panoptic-DeepLab checkpoint '
        '(.pkl or .pth) to an mmpdl checkpoint (or back with --reverse).')
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='where to write the result')
    parser.add_argument(
        '--config', required=True, help='mmpdl config of the same model')
    parser.add_argument(
        '--categories',
        metavar='JSON',
        help='COCO-panoptic JSON (or a bare "categories" list, e.g. '
        'panopticapi\'s panoptic_coco_categories.json) giving the classes '
        'stored as meta["dataset_meta"] when the config\'s dataset reads '
        'them from its annotation file (COCO)')
    parser.add_argument(
        '--reverse',
        action='store_true',
        help='convert an mmpdl checkpoint to detectron2\'s .pkl format')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='convert ImageNet backbone weights (e.g. detectron2\'s '
        'DeepLab R-52.pkl) to the state dict of the config\'s backbone, '
        'the file its init_cfg Pretrained checkpoint names')
    args = parser.parse_args(argv)
    if args.backbone_only and args.reverse:
        parser.error('--backbone-only converts to mmpdl only; drop --reverse')
    return args


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


def backbone_to_mmpdl(src, dst, config_path):
    """detectron2 ImageNet backbone file -> backbone checkpoint; returns
    the number of tensors."""
    cfg = Config.fromfile(config_path)
    result = convert_backbone_weights(
        read_detectron2_state_dict(src), cfg,
        f'{src} (backbone only) with config {config_path}')
    save_converted(
        result, dst,
        dict(
            converted_from=osp.basename(src),
            source_sha256=file_sha256(src),
            source_format='detectron2 backbone',
            config=osp.basename(config_path),
            converter=CONVERTER))
    return len(result)


def dataset_meta_of(cfg, categories=None):
    """The classes to store with the weights: from ``categories`` (a JSON
    file) if given, else from the config's dataset; None when that dataset
    reads them from its annotation file."""
    if categories:
        data = load(categories)
        if isinstance(data, dict):
            data = data.get('categories')
        return metainfo_from_categories(data or [], source=categories)
    try:
        return config_dataset_meta(cfg)
    except KeyError:  # e.g. CocoPanopticDataset: classes from the JSON
        return None


def to_mmpdl(src, dst, config_path, categories=None):
    """detectron2 file -> mmpdl file; returns the number of tensors."""
    cfg = Config.fromfile(config_path)
    dataset_meta = dataset_meta_of(cfg, categories)
    result = convert_weights(
        read_detectron2_state_dict(src), cfg,
        f'{src} with config {config_path}')
    meta = dict(
        converted_from=osp.basename(src),
        source_sha256=file_sha256(src),
        source_format='detectron2',
        config=osp.basename(config_path),
        converter=CONVERTER)
    if dataset_meta is None:
        print(f'note: the dataset of {config_path} reads its classes from '
              'its annotation file, so no dataset_meta is stored; pass '
              '--categories to store them')
    else:
        meta['dataset_meta'] = dataset_meta
    save_converted(result, dst, meta)
    return len(result)


def to_detectron2(src, dst, config_path):
    """mmpdl -> detectron2 model-zoo ``.pkl``; returns the tensor count.

    The file is ``{'model': {name: numpy array}, '__author__': ...}``,
    detectron2's model-zoo layout (its ``DetectionCheckpointer`` loads it
    by name); ``num_batches_tracked`` counters are kept.
    """
    cfg = Config.fromfile(config_path)
    shapes = model_tensor_shapes(cfg)
    converted = convert_back(
        read_state_dict(src),
        shapes,
        detectron2_rules(shapes, cfg.model.backbone.type),
        'detectron2\'s Panoptic-DeepLab',
        what=f'{src} with config {config_path}')
    model = {
        k: np.array(v.detach().cpu().numpy(), order='C')
        for k, v in converted.items()
    }
    data = pickle.dumps(
        {
            'model': model,
            '__author__': AUTHOR,
            'matching_heuristics': False
        },
        protocol=4)
    atomic_write_bytes(data, dst)
    return len(model)


def main(argv=None):
    args = parse_args(argv)
    if args.reverse:
        return run_conversion(
            lambda: to_detectron2(args.src, args.dst, args.config), args.dst)
    if args.backbone_only:
        return run_conversion(
            lambda: backbone_to_mmpdl(args.src, args.dst, args.config),
            args.dst, (UnsafePickleError, ))
    return run_conversion(
        lambda: to_mmpdl(args.src, args.dst, args.config, args.categories),
        args.dst, (UnsafePickleError, ))


if __name__ == '__main__':
    sys.exit(main())
