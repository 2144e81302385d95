"""Turn per-image semantic + instance label PNGs into COCO-panoptic files.

The common export of annotation tools is, per image, a single-channel
semantic PNG (pixel value = category id) and a single-channel instance PNG
(pixel value = instance id, 0 = none). With a category file that lists
``id, name, isthing, color`` this tool writes the COCO-panoptic JSON
(``images``, ``annotations[].segments_info``, ``categories``) and one
RGB-id PNG per image, which ``CocoPanopticDataset`` loads.

Usage::

    python tools/dataset_converters/labels_to_coco_panoptic.py \
        --images data/my_dataset/images/train \
        --semantic data/my_dataset/labels/semantic/train \
        --instances data/my_dataset/labels/instance/train \
        --categories data/my_dataset/categories.csv \
        --out-json data/my_dataset/annotations/panoptic_train.json \
        --out-png-dir data/my_dataset/annotations/panoptic_train

Files are paired by their path relative to each folder, without the
extension (``images/a/b.jpg`` <-> ``semantic/a/b.png`` <->
``instances/a/b.png``). Segments: one per stuff category present, one per
(thing category, instance id); semantic value ``--void`` (default 255) is
void (segment id 0). Crowd regions (``iscrowd=1``, one segment per thing
category) are the thing pixels whose instance id is ``--crowd-id``, or that
are non-zero in the ``--crowd`` mask PNGs. The category file is a JSON list
of ``{"id", "name", "isthing", "color": [r, g, b]}`` (or a dict with such a
``categories`` list), or a CSV with the header ``id,name,isthing,color``
and colours written ``r g b``.

Every problem is an error naming the file, the value and the fix; the JSON
and the PNGs are written atomically, the JSON last.
"""
import argparse
import csv
import json
import os
import os.path as osp
import sys

import numpy as np
from PIL import Image

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class LabelError(ValueError):
    """A problem of the input labels; the message says which and the fix."""


def _parse_color(text, where):
    parts = str(text).replace(',', ' ').replace(';', ' ').split()
    if str(text).startswith('#') and len(str(text)) == 7:
        parts = [int(str(text)[i:i + 2], 16) for i in (1, 3, 5)]
    try:
        color = [int(v) for v in parts]
    except ValueError:
        color = []
    if len(color) != 3 or not all(0 <= v <= 255 for v in color):
        raise LabelError(f'{where}: color {text!r} is not three values in '
                         '0..255; write it as "r g b", e.g. "220 20 60"')
    return color


def _category(raw, where):
    """One checked category dict from a raw JSON/CSV record."""
    missing = [k for k in ('id', 'name', 'isthing', 'color') if k not in raw]
    if missing:
        raise LabelError(f'{where}: no {missing}; every category needs id, '
                         'name, isthing (0/1) and color')
    try:
        cat_id = int(raw['id'])
        isthing = int(raw['isthing'])
    except (TypeError, ValueError):
        raise LabelError(f'{where}: id {raw["id"]!r} and isthing '
                         f'{raw["isthing"]!r} must be integers')
    if cat_id < 0 or isthing not in (0, 1):
        raise LabelError(f'{where}: id must be >= 0 and isthing 0 or 1, '
                         f'got id {cat_id}, isthing {isthing}')
    color = raw['color']
    color = (
        _parse_color(color, where) if isinstance(color, str) else _parse_color(
            ' '.join(map(str, color)), where))
    return dict(id=cat_id, name=str(raw['name']), isthing=isthing, color=color)


def read_categories(path):
    """The categories of a JSON or CSV category file, checked.

    Returns:
        list[dict]: ``id``, ``name``, ``isthing``, ``color`` per category.
    """
    if not osp.isfile(path):
        raise LabelError(f'category file {path!r} does not exist')
    if path.lower().endswith('.json'):
        with open(path) as f:
            records = json.load(f)
        if isinstance(records, dict):
            records = records.get('categories')
        if not isinstance(records, list):
            raise LabelError(f'{path}: expected a list of categories (or a '
                             'dict with a "categories" list)')
        wheres = [f'{path}: categories[{i}]' for i in range(len(records))]
    else:
        with open(path, newline='') as f:
            records = list(csv.DictReader(f))
        wheres = [f'{path}: line {i + 2}' for i in range(len(records))]
    cats = [_category(r, w) for r, w in zip(records, wheres)]
    ids = [c['id'] for c in cats]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise LabelError(f'{path}: category ids {repeated} appear more than '
                         'once; give each category its own id')
    if not cats:
        raise LabelError(f'{path}: no categories')
    return cats


def _stems(folder, exts):
    """Relative path without extension -> path, for files under folder."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            stem, ext = osp.splitext(name)
            if ext.lower() in exts:
                rel = osp.relpath(osp.join(root, stem), folder)
                found[rel] = osp.join(root, name)
    return found


def pair_files(args):
    """(stem, image, semantic, instance or None, crowd or None) per image;
    an image without labels or labels without an image is an error."""
    images = _stems(args.images, IMAGE_EXTS)
    semantic = _stems(args.semantic, ('.png', ))
    if not images:
        raise LabelError(f'no images ({"/".join(IMAGE_EXTS)}) under '
                         f'{args.images!r}')
    for stem in sorted(set(images) - set(semantic)):
        raise LabelError(
            f'image {images[stem]!r} has no semantic label: expected '
            f'{osp.join(args.semantic, stem + ".png")!r}; add the label or '
            'move the image out of the images folder')
    for stem in sorted(set(semantic) - set(images)):
        raise LabelError(
            f'semantic label {semantic[stem]!r} has no image: expected '
            f'{osp.join(args.images, stem)}.<jpg|png|...>; add the image or '
            'remove the label')
    extra = {}
    for key, folder in (('instances', args.instances), ('crowd', args.crowd)):
        extra[key] = _stems(folder, ('.png', )) if folder else {}
        for stem in sorted(set(extra[key]) - set(images)):
            raise LabelError(
                f'{key} label {extra[key][stem]!r} has no image; add the '
                'image or remove the label')
    return [(stem, images[stem], semantic[stem], extra['instances'].get(stem),
             extra['crowd'].get(stem)) for stem in sorted(images)]


def read_label(path, image_size):
    """A single-channel label PNG as (H, W) int64; its size must be the
    image's ``(width, height)``."""
    with Image.open(path) as img:
        if img.mode not in ('L', 'P', 'I', 'I;16', 'I;16B', '1'):
            raise LabelError(
                f'{path!r} is a {img.mode} image; label PNGs must have one '
                'channel (8- or 16-bit grey or palette): export the label '
                'values, not colours')
        if img.size != image_size:
            raise LabelError(
                f'{path!r} is {img.size[0]}x{img.size[1]} (WxH) but its image '
                f'is {image_size[0]}x{image_size[1]}: labels must have the '
                "image's size (export them again at full resolution)")
        return np.asarray(img).astype(np.int64)


def _instance_map(args, files, sem, things, size):
    """(H, W) int64 instance ids of the non-crowd thing pixels (0
    elsewhere) and the (H, W) bool crowd mask, from the (H, W) category
    ids ``sem`` and the (H, W) bool thing mask ``things``."""
    stem, _, sem_path, inst_path, crowd_path = files
    crowd = np.zeros(sem.shape, bool)
    if crowd_path:
        crowd = read_label(crowd_path, size) != 0
    if not things.any():
        return np.zeros_like(sem), crowd & things
    if inst_path is None:
        raise LabelError(
            f'{sem_path!r} has thing pixels but there is no instance label '
            f'{osp.join(args.instances or "<--instances>", stem + ".png")!r}'
            '; give --instances with one instance PNG per image')
    inst = read_label(inst_path, size)
    if args.crowd_id is not None:
        crowd |= inst == args.crowd_id
    crowd &= things
    missing = things & ~crowd & (inst == 0)
    if missing.any():
        cats = np.unique(sem[missing]).tolist()
        raise LabelError(
            f'{inst_path!r}: {int(missing.sum())} pixels of thing categories '
            f'{cats} have instance id 0; give them an instance id, mark them '
            'crowd (--crowd-id / --crowd) or void (semantic value '
            f'{args.void})')
    return np.where(things & ~crowd, inst, 0), crowd


def convert_image(args, files, cats_by_id, is_thing):
    """The id map, category and crowd flag of every segment of one image."""
    from mmpdl.structures.panoptic_ids import dense_segment_ids
    stem, img_path, sem_path = files[:3]
    with Image.open(img_path) as img:
        size = img.size
    sem = read_label(sem_path, size)
    unknown = np.setdiff1d(np.unique(sem), list(cats_by_id) + [args.void])
    if len(unknown):
        value = int(unknown[0])
        raise LabelError(
            f'{sem_path!r}: semantic value {value} '
            f'({int((sem == value).sum())} pixels) is an unknown category '
            f'id: it is not in the category file {args.categories!r} (ids '
            f'{sorted(cats_by_id)}); add category {value} to that file, or '
            f'make those pixels void (value {args.void})')
    void = sem == args.void
    sem_known = np.where(void, 0, sem)
    inst, crowd = _instance_map(args, files, sem_known,
                                np.where(void, False, is_thing[sem_known]),
                                size)
    # one key per (category, instance, crowd); stuff has instance 0
    key = (sem_known * 2 + crowd) * (int(inst.max()) + 1) + inst
    key = np.where(void, -1, key) + 1
    keys, index = dense_segment_ids(key)
    # segment ids 1..S in key order (0 stays void)
    seg_ids = np.arange(len(keys)) + (0 if keys[0] == 0 else 1)
    seg_map = seg_ids[index].reshape(sem.shape)
    # the first pixel of each segment gives its category and crowd flag
    first = np.unique(index, return_index=True)[1]
    flat_sem, flat_crowd = sem_known.ravel(), crowd.ravel()
    categories = {
        int(seg_ids[i]): int(flat_sem[first[i]])
        for i in range(len(keys)) if keys[i] != 0
    }
    crowds = {
        int(seg_ids[i]): int(flat_crowd[first[i]])
        for i in range(len(keys)) if keys[i] != 0
    }
    return seg_map, categories, crowds, size


def convert(args):
    """Write the JSON and PNGs; returns (images, segments) written."""
    from mmpdl.datasets.panoptic_export import (segments_info_of, write_id_png,
                                                write_panoptic_json)
    cats = read_categories(args.categories)
    cats_by_id = {c['id']: c for c in cats}
    if args.void in cats_by_id:
        raise LabelError(
            f'--void {args.void} is also a category id of '
            f'{args.categories!r}; pick another void value with --void')
    top = max(max(cats_by_id), args.void)
    is_thing = np.zeros(top + 1, bool)
    for c in cats:
        is_thing[c['id']] = bool(c['isthing'])
    images, annotations = [], []
    for image_id, files in enumerate(pair_files(args), start=1):
        seg_map, categories, crowds, (width, height) = convert_image(
            args, files, cats_by_id, is_thing)
        stem, img_path = files[:2]
        png_name = stem + '.png'
        write_id_png(seg_map, osp.join(args.out_png_dir, png_name))
        images.append(
            dict(
                id=image_id,
                file_name=osp.relpath(img_path, args.images),
                height=height,
                width=width))
        annotations.append(
            dict(
                image_id=image_id,
                file_name=png_name,
                segments_info=segments_info_of(seg_map, categories, crowds)))
    write_panoptic_json(args.out_json, annotations, cats, images=images)
    return len(images), sum(len(a['segments_info']) for a in annotations)


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Semantic + instance label PNGs -> COCO-panoptic')
    parser.add_argument('--images', required=True, help='image folder')
    parser.add_argument(
        '--semantic',
        required=True,
        help='folder of single-channel PNGs, pixel value = category id')
    parser.add_argument(
        '--instances',
        help='folder of single-channel PNGs, pixel value = instance id '
        '(0 = none); needed when a category is a thing')
    parser.add_argument(
        '--categories',
        required=True,
        help='category file (.json or .csv: id,name,isthing,color)')
    parser.add_argument('--out-json', required=True, help='panoptic JSON')
    parser.add_argument(
        '--out-png-dir', required=True, help='folder of the RGB-id PNGs')
    parser.add_argument(
        '--void', type=int, default=255, help='semantic value of void pixels')
    parser.add_argument(
        '--crowd-id',
        type=int,
        help='instance id that marks crowd regions of thing categories')
    parser.add_argument(
        '--crowd', help='folder of crowd mask PNGs (non-zero = crowd)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Convert; prints an error line and returns 1 on bad input."""
    args = parse_args(argv)
    try:
        num_images, num_segments = convert(args)
    except LabelError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'wrote {num_images} image(s), {num_segments} segment(s): '
          f'{args.out_json} and {args.out_png_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
