"""Convert a detectron2 Panoptic-DeepLab checkpoint to mmpdl (or back).

detectron2's ``model_final_*.pkl`` (its model zoo) or a ``.pth`` of its
trainer (also the original's ``tools_d2`` checkpoints), read without running
code from the file, is renamed to the mmpdl model built from ``--config``
(:mod:`mmpdl.converters.detectron2`) and written atomically as
``{'state_dict', 'meta'}`` with ``meta['dataset_meta']`` from the config's
dataset (or from ``--categories`` for datasets whose classes come from
their annotation file, as COCO's).

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
import sys

from mmpdl.converters.cli import converter_parser, run_conversion
from mmpdl.converters.detectron2 import (backbone_to_mmpdl,
                                         detectron2_to_mmpdl,
                                         mmpdl_to_detectron2)
from mmpdl.utils.safe_load import UnsafePickleError


def parse_args(argv=None):
    parser = converter_parser(
        'Convert a detectron2 Panoptic-DeepLab checkpoint (.pkl or .pth) to '
        'an mmpdl checkpoint (or back with --reverse).',
        'detectron2\'s .pkl format')
    parser.add_argument(
        '--categories',
        metavar='JSON',
        help='COCO-panoptic JSON (or a bare "categories" list, e.g. '
        'panopticapi\'s panoptic_coco_categories.json) giving the classes '
        'stored as meta["dataset_meta"] when the config\'s dataset reads '
        'them from its annotation file (COCO)')
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


def main(argv=None):
    args = parse_args(argv)
    if args.reverse:
        return run_conversion(
            lambda: mmpdl_to_detectron2(args.src, args.dst, args.config),
            args.dst)
    if args.backbone_only:
        return run_conversion(
            lambda: backbone_to_mmpdl(args.src, args.dst, args.config),
            args.dst, (UnsafePickleError, ))
    return run_conversion(
        lambda: detectron2_to_mmpdl(args.src, args.dst, args.config, args.
                                    categories), args.dst,
        (UnsafePickleError, ))


if __name__ == '__main__':
    sys.exit(main())
