"""Convert an original Panoptic-DeepLab checkpoint to mmpdl (or back).

The original implementation is github.com/bowenc0221/panoptic-deeplab. Its
checkpoints (a bare state dict or ``{'state_dict': ...}``, keys with or
without ``module.``) are renamed to the parameter and buffer names of the
mmpdl model built from ``--config``. Every source tensor must be used
exactly once and every model tensor filled with the right shape; otherwise
the problems are listed and nothing is written.

Examples::

    python tools/model_converters/panoptic_deeplab_to_mmpdl.py \\
        final_state.pth r50_mmpdl.pth --config CONFIG
    # back to the original naming (a bare state dict, as the original saves)
    python tools/model_converters/panoptic_deeplab_to_mmpdl.py \\
        r50_mmpdl.pth final_state.pth --config CONFIG --reverse
"""
import argparse
import os.path as osp
import sys

from mmengine import Config

from mmpdl.models.utils.key_template import rename_keys
from mmpdl.models.utils.original_ckpt import (CheckpointFormatError,
                                              file_sha256, read_state_dict,
                                              save_converted, save_state_dict)
from mmpdl.models.utils.original_key_map import (KeyMappingError,
                                                 check_state_dict,
                                                 convert_state_dict,
                                                 mmpdl_tensor_shapes)
from mmpdl.models.utils.original_key_rules import rules_for_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an original Panoptic-DeepLab checkpoint to an '
        'mmpdl checkpoint (or back with --reverse).')
    parser.add_argument('src', help='source checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the result (.pth)')
    parser.add_argument(
        '--config', required=True, help='mmpdl config of the same model')
    parser.add_argument(
        '--reverse',
        action='store_true',
        help='convert an mmpdl checkpoint to the original naming')
    return parser.parse_args(argv)


def to_mmpdl(src, dst, config_path):
    """Original -> mmpdl; returns the number of tensors written."""
    cfg = Config.fromfile(config_path)
    state_dict = read_state_dict(src)
    converted = convert_state_dict(
        state_dict,
        mmpdl_tensor_shapes(cfg),
        rules_for_config(cfg),
        what=f'{src} with config {config_path}')
    meta = dict(
        converted_from=osp.basename(src),
        source_sha256=file_sha256(src),
        config=osp.basename(config_path),
        converter='tools/model_converters/panoptic_deeplab_to_mmpdl.py')
    save_converted(converted, dst, meta)
    return len(converted)


def to_original(src, dst, config_path):
    """mmpdl -> original; returns the number of tensors written."""
    cfg = Config.fromfile(config_path)
    state_dict = read_state_dict(src)
    shapes = mmpdl_tensor_shapes(cfg)
    what = f'{src} with config {config_path}'
    check_state_dict(state_dict, shapes, what=what)
    rules = rules_for_config(cfg)
    # the original's names are those the forward rules map onto the model
    original_shapes = {
        name: shapes[key]
        for key, name in _original_names(shapes, rules).items()
    }
    converted = convert_state_dict(
        state_dict, original_shapes, rules, reverse=True, what=what)
    save_state_dict(converted, dst)
    return len(converted)


def _original_names(shapes, rules):
    """mmpdl key -> original key for every model key (checked bijection)."""
    names, unmatched = rename_keys(shapes, rules, reverse=True)
    if unmatched:
        raise KeyMappingError(
            'the model of the config has tensors the original does not '
            'have; it cannot be converted back', {'model keys': unmatched})
    return names


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.reverse:
            count = to_original(args.src, args.dst, args.config)
        else:
            count = to_mmpdl(args.src, args.dst, args.config)
    except (CheckpointFormatError, KeyMappingError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        print(f'nothing was written to {args.dst}', file=sys.stderr)
        return 1
    print(f'wrote {count} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
