"""Check an unpacked COCO 2017 panoptic dataset and say what is missing.

Usage::

    python tools/dataset_converters/coco_panoptic.py [ROOT] [--check-files]

ROOT defaults to ``data/coco``. The layout
``configs/_base_/datasets/coco_panoptic.py`` reads::

    data/coco/
      train2017/                       # train2017.zip
      val2017/                         # val2017.zip
      annotations/
        panoptic_train2017.json        # panoptic_annotations_trainval2017.zip
        panoptic_val2017.json
        panoptic_train2017/            # annotations/panoptic_train2017.zip
        panoptic_val2017/              # annotations/panoptic_val2017.zip
        instances_val2017.json         # optional: annotations_trainval2017.zip

Each missing part is printed with the download URL or the unzip command
that gives it; the exit code is 1 when a required part is missing.
``--check-files`` also reads both JSONs and checks that every image and PNG
they list exists.
"""
import argparse
import os.path as osp
import sys

ZIPS = 'http://images.cocodataset.org/zips'
ANNS = 'http://images.cocodataset.org/annotations'
PANOPTIC_ZIP = 'panoptic_annotations_trainval2017.zip'


def coco_parts(root):
    """The parts of the COCO panoptic layout (mmpdl.datasets.layout_checks
    ``Part``), in the order to get them."""
    from mmpdl.datasets.layout_checks import Part
    parts = []
    for split in ('train2017', 'val2017'):
        parts.append(
            Part(
                split, True, f'download {ZIPS}/{split}.zip and run `unzip '
                f'{split}.zip -d {root}`'))
    for split in ('train2017', 'val2017'):
        parts.append(
            Part(
                f'annotations/panoptic_{split}.json', False,
                f'download {ANNS}/{PANOPTIC_ZIP} and run `unzip '
                f'{PANOPTIC_ZIP} -d {root}`'))
    for split in ('train2017', 'val2017'):
        inner = osp.join(root, 'annotations', f'panoptic_{split}.zip')
        parts.append(
            Part(
                f'annotations/panoptic_{split}', True,
                f'run `unzip {inner} -d {osp.join(root, "annotations")}` ('
                f'{inner} comes from {ANNS}/{PANOPTIC_ZIP})'))
    parts.append(
        Part(
            'annotations/instances_val2017.json',
            False,
            f'box/mask AP against the official instances needs it: download '
            f'{ANNS}/annotations_trainval2017.zip and run `unzip '
            f'annotations_trainval2017.zip -d {root}` (without it, AP is '
            'computed against instances derived from the panoptic ground '
            'truth)',
            optional=True))
    return parts


def listed_files_missing(root):
    """Images and PNGs the two JSONs list that are not on disk."""
    from mmpdl.datasets.panoptic_checks import read_panoptic_json
    lines = []
    for split in ('train2017', 'val2017'):
        ann_file = osp.join(root, 'annotations', f'panoptic_{split}.json')
        ann = read_panoptic_json(ann_file,
                                 f'by unzipping {ANNS}/{PANOPTIC_ZIP} again')
        for key, folder in (('images', osp.join(root, split)),
                            ('annotations',
                             osp.join(root, 'annotations',
                                      f'panoptic_{split}'))):
            absent = [
                item['file_name'] for item in ann.get(key, [])
                if not osp.isfile(osp.join(folder, item['file_name']))
            ]
            if absent:
                lines.append(
                    f'{folder}: {len(absent)} file(s) listed in {ann_file} '
                    f'are missing, e.g. {absent[:3]}; unzip the archive of '
                    'this folder again (it is incomplete)')
    return lines


def main(argv=None) -> int:
    """Print what is missing; returns the exit code (1 if incomplete)."""
    from mmpdl.datasets.layout_checks import report
    parser = argparse.ArgumentParser(
        description='Check the COCO 2017 panoptic layout')
    parser.add_argument('root', nargs='?', default='data/coco')
    parser.add_argument(
        '--check-files',
        action='store_true',
        help='also check every file the JSONs list')
    args = parser.parse_args(argv)
    code = report(args.root, coco_parts(args.root), 'COCO 2017 panoptic')
    if code == 0 and args.check_files:
        lines = listed_files_missing(args.root)
        for line in lines:
            print(line)
        code = 1 if lines else 0
    return code


if __name__ == '__main__':
    sys.exit(main())
