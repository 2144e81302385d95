"""Convert an original Panoptic-DeepLab checkpoint to mmpdl (or back).

The original implementation is github.com/bowenc0221/panoptic-deeplab. Its
checkpoints are renamed to the parameter and buffer names of the mmpdl
model built from ``--config`` (:mod:`mmpdl.converters.original`: every
source tensor used exactly once, every model tensor filled with the right
shape, otherwise the problems are listed and nothing is written). The
model-zoo entries converted from the original are those of
``configs/panoptic_deeplab/metafile.yaml`` whose ``Original Config`` is a
yaml of the original implementation (:func:`original_entries`).

Examples::

    python tools/model_converters/panoptic_deeplab_to_mmpdl.py \\
        final_state.pth r50_mmpdl.pth --config CONFIG
    # back to the original naming (a bare state dict, as the original saves)
    python tools/model_converters/panoptic_deeplab_to_mmpdl.py \\
        r50_mmpdl.pth final_state.pth --config CONFIG --reverse
"""
import os.path as osp
import sys
from typing import List, NamedTuple

import yaml

from mmpdl.converters.cli import converter_parser, run_conversion
from mmpdl.converters.original import mmpdl_to_original, original_to_mmpdl

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METAFILE = osp.join(ROOT, 'configs', 'panoptic_deeplab', 'metafile.yaml')


class OriginalEntry(NamedTuple):
    """A model-zoo entry converted from the original: its short name (the
    backbone field of the config name, e.g. ``r50-os32``), its mmpdl config
    (relative to the repository root) and the original's YAML file name."""
    name: str
    mmpdl_config: str
    original_yaml: str


#: ``Original Config`` URLs of this converter's format: the original's own
#: yamls (other entries cite deeplab2 or the original's detectron2 configs
#: under ``tools_d2/``, whose checkpoints this converter does not read)
ORIGINAL_REPO_URL = ('https://github.com/bowenc0221/panoptic-deeplab/blob/'
                     'master/configs/')


def original_entries(metafile: str = METAFILE) -> List[OriginalEntry]:
    """The metafile's models whose ``Original Config`` is a yaml of the
    original implementation."""
    entries = []
    with open(metafile) as f:
        models = yaml.safe_load(f)['Models']
    for model in models:
        url = model['Metadata'].get('Original Config', '')
        if url.startswith(ORIGINAL_REPO_URL):
            config = model['Config']
            name = osp.basename(config).split('_')[1]
            entries.append(OriginalEntry(name, config, url.split('/')[-1]))
    return entries


def entry_of_config(config_path: str, entries=None):
    """The entry whose config has the file name of ``config_path``, or
    None."""
    for entry in entries or original_entries():
        if osp.basename(entry.mmpdl_config) == osp.basename(config_path):
            return entry
    return None


def parse_args(argv=None):
    return converter_parser(
        'Convert an original Panoptic-DeepLab checkpoint (.pth) to an mmpdl '
        'checkpoint (or back with --reverse).',
        'the original naming').parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    convert = mmpdl_to_original if args.reverse else original_to_mmpdl
    return run_conversion(lambda: convert(args.src, args.dst, args.config),
                          args.dst)


if __name__ == '__main__':
    sys.exit(main())
