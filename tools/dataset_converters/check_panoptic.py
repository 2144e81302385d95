"""List every problem of a panoptic dataset at once.

Usage::

    python tools/dataset_converters/check_panoptic.py DATA_ROOT ANN_FILE \
        [--img-dir leftImg8bit/val] [--seg-dir gtFine/cityscapes_panoptic_val]
        [--layout auto|cityscapes|coco]

e.g. ``python tools/dataset_converters/check_panoptic.py data/cityscapes
gtFine/cityscapes_panoptic_val.json``, or for any COCO-panoptic dataset
``python tools/dataset_converters/check_panoptic.py data/coco
annotations/panoptic_val2017.json --img-dir val2017``. Two layouts:
Cityscapes (the default for a ``cityscapes_panoptic_*.json``: images at
``<img-dir>/<city>/<image_id><img-suffix>``, categories the label ids of
the 19 evaluated classes) and COCO (every other JSON: images at
``<img-dir>/<images[].file_name>``, categories the JSON's ``categories``).
Checked: the JSON's structure, that every listed image and PNG exists and
decodes, that a PNG has its image's size (and the size its ``images`` entry
states), that every category id is one of the dataset's, that segment ids
are unique, and that the PNG's ids and ``segments_info``
agree (no unlisted id, no segment without pixels). Images on disk without a
JSON entry are counted, not reported as problems (training leaves them
out). Prints one line per problem; the exit code is 1 when there are
problems, 0 otherwise.
"""
import argparse
import glob
import os.path as osp
import re
import sys


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Check a COCO-panoptic dataset (Cityscapes layout)')
    parser.add_argument('data_root', help='dataset root, e.g. data/cityscapes')
    parser.add_argument(
        'ann_file',
        help='panoptic JSON, relative to DATA_ROOT or absolute, e.g. '
        'gtFine/cityscapes_panoptic_val.json')
    parser.add_argument(
        '--img-dir',
        help='image folder (default: leftImg8bit/<split> of the JSON name)')
    parser.add_argument(
        '--seg-dir', help='PNG folder (default: ANN_FILE without .json)')
    parser.add_argument(
        '--img-suffix',
        default='_leftImg8bit.png',
        help='image suffix (Cityscapes layout)')
    parser.add_argument(
        '--layout',
        choices=('auto', 'cityscapes', 'coco'),
        default='auto',
        help='auto: cityscapes for cityscapes_panoptic_*.json, else coco')
    args = parser.parse_args(argv)
    if args.layout == 'auto':
        cityscapes = osp.basename(
            args.ann_file).startswith('cityscapes_panoptic_')
        args.layout = 'cityscapes' if cityscapes else 'coco'
    return args


def default_dirs(args):
    """Image and PNG folders: given, or Cityscapes' for the JSON's split."""
    ann_file = osp.join(args.data_root, args.ann_file)
    seg_dir = args.seg_dir or osp.splitext(args.ann_file)[0]
    img_dir = args.img_dir
    if img_dir is None and args.layout == 'coco':
        raise SystemExit('check_panoptic.py: error: a COCO-layout dataset '
                         'needs --img-dir (the folder of images[].file_name)')
    if img_dir is None:
        match = re.search(r'panoptic_(\w+)\.json$', args.ann_file)
        if match is None:
            raise SystemExit('check_panoptic.py: error: cannot tell the split '
                             f'from {args.ann_file!r}; give --img-dir')
        img_dir = osp.join('leftImg8bit', match.group(1))
    return (ann_file, osp.join(args.data_root,
                               img_dir), osp.join(args.data_root, seg_dir))


def image_problems(item, img_path, png_path, sizes, category_ids):
    """Problems of one annotation entry (JSON, image, PNG, their ids)."""
    import numpy as np
    from PIL import Image

    from mmpdl.datasets.panoptic_checks import segment_id_problems
    from mmpdl.datasets.transforms import read_rgb_png
    from mmpdl.structures.panoptic_ids import rgb_to_id
    problems = []
    ids = [seg['id'] for seg in item['segments_info']]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        problems.append(f'segment ids {repeated} are listed more than once')
    unknown = sorted({
        seg['category_id']
        for seg in item['segments_info']
        if seg['category_id'] not in category_ids
    })
    if unknown:
        segments = [
            seg['id'] for seg in item['segments_info']
            if seg['category_id'] in unknown
        ]
        problems.append(
            f'unknown category ids {unknown} (segments {segments}): not '
            'categories of the dataset; correct the category_id of these '
            'segments or add the category')
    if not osp.isfile(img_path):
        problems.append(f'image {img_path!r} is missing')
    try:
        seg_map = rgb_to_id(read_rgb_png(png_path))
    except OSError as err:
        return problems + [str(err)]
    if osp.isfile(img_path):
        with Image.open(img_path) as img:
            width, height = img.size
        if seg_map.shape != (height, width):
            problems.append(f'PNG is {seg_map.shape[0]}x{seg_map.shape[1]} '
                            f'but the image is {height}x{width}')
    stated = sizes.get(item['image_id'])
    if stated and stated != seg_map.shape:
        problems.append(f'PNG is {seg_map.shape[0]}x{seg_map.shape[1]} but '
                        f'"images" says {stated[0]}x{stated[1]}')
    return problems + segment_id_problems(seg_map, np.asarray(ids))


def layout_of(ann, layout, img_dir, img_suffix):
    """The dataset's category ids, a function giving the image path of an
    annotation entry, and the images on disk, for ``layout``."""
    if layout == 'cityscapes':
        from mmpdl.datasets import CityscapesPanopticDataset

        def img_path(item):
            image_id = item['image_id']
            return osp.join(img_dir,
                            str(image_id).split('_')[0],
                            f'{image_id}{img_suffix}')

        return (set(CityscapesPanopticDataset.METAINFO['label_ids']), img_path,
                glob.glob(
                    osp.join(img_dir, '**', '*' + img_suffix), recursive=True))
    names = {img.get('id'): img.get('file_name', '') for img in ann['images']}
    on_disk = [
        p for p in glob.glob(osp.join(img_dir, '**', '*'), recursive=True)
        if osp.isfile(p)
    ]
    return ({cat.get('id')
             for cat in ann.get('categories') or []},
            lambda item: osp.join(img_dir, names.get(item['image_id'], '')),
            on_disk)


def find_problems(ann_file, img_dir, seg_dir, img_suffix, layout='cityscapes'):
    """All problems of a dataset and the number of unlisted images.

    Returns:
        tuple[list[str], int, int]: problem lines, annotations checked,
        images on disk without an entry.
    """
    from mmpdl.datasets.panoptic_checks import (CITYSCAPES_REMAKE,
                                                panoptic_json_problems,
                                                read_panoptic_json)
    if not osp.isfile(ann_file):
        return [f'{ann_file}: the file does not exist'], 0, 0
    try:
        ann = read_panoptic_json(
            ann_file, 'with the tool that wrote it'
            if layout == 'coco' else CITYSCAPES_REMAKE)
    except ValueError as err:
        return [str(err)], 0, 0
    problems = panoptic_json_problems(ann)
    if problems:
        return [f'{ann_file}: {p}' for p in problems], 0, 0
    sizes = {
        img.get('id'): (img['height'], img['width'])
        for img in ann['images'] if 'height' in img and 'width' in img
    }
    category_ids, image_path, on_disk = layout_of(ann, layout, img_dir,
                                                  img_suffix)
    if not category_ids:
        return [
            f'{ann_file}: "categories" lists no category; give every '
            'category with id, name and isthing'
        ], 0, 0
    images = {img.get('id') for img in ann['images']}
    listed = set()
    for item in ann['annotations']:
        img_path = image_path(item)
        listed.add(osp.normpath(img_path))
        png_path = osp.join(seg_dir, item['file_name'])
        if layout == 'coco' and item['image_id'] not in images:
            problems.append(f'{png_path}: image_id {item["image_id"]!r} is '
                            'not in "images"; add its "images" entry')
            continue
        problems += [
            f'{png_path}: {p}' for p in image_problems(
                item, img_path, png_path, sizes, category_ids)
        ]
    unlisted = sum(osp.normpath(p) not in listed for p in on_disk)
    return problems, len(ann['annotations']), unlisted


def main(argv=None) -> int:
    """Print the problems; returns the exit code (1 if any)."""
    args = parse_args(argv)
    ann_file, img_dir, seg_dir = default_dirs(args)
    problems, checked, unlisted = find_problems(ann_file, img_dir, seg_dir,
                                                args.img_suffix, args.layout)
    for line in problems:
        print(line)
    if unlisted:
        print(f'note: {unlisted} image(s) under {img_dir} have no entry in '
              f'{ann_file} (left out of training and evaluation)')
    if problems:
        print(f'{len(problems)} problem(s) in {ann_file} ({checked} '
              'annotation(s) checked)')
        return 1
    print(f'OK: {checked} annotation(s) in {ann_file}, no problems')
    return 0


if __name__ == '__main__':
    sys.exit(main())
