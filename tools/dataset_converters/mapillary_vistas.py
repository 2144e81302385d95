"""Check an unpacked Mapillary Vistas (v1.2 / v2.0) panoptic dataset and
optionally write a copy resized to a longest side.

Usage::

    python tools/dataset_converters/mapillary_vistas.py ROOT \
        [--version 2.0] [--resize-longest 2177 --out-dir OUT] [--nproc 8]

The layout the configs read (the v2.0 release, which holds v1.2 too)::

    ROOT/{training,validation}/
      images/*.jpg
      v1.2/panoptic/panoptic_2018.json + *.png   # 65 classes, 37 things
      v2.0/panoptic/panoptic_2020.json + *.png   # 124 classes

Each missing part is printed with the way to get it; the exit code is 1
when a required part is missing. With ``--resize-longest N`` every image
and panoptic PNG whose longest side exceeds N is written to ``OUT`` (same
relative paths) resized to a longest side of N: images with area
interpolation, PNGs with nearest neighbour; the JSON gets the new
height/width and the segments' area and bbox recomputed from the resized
PNG (a segment left without pixels is dropped and counted). Smaller files
are copied unchanged. Every file is written atomically, each JSON after
its PNGs; ``OUT`` must differ from ``ROOT``, so the originals are never
overwritten.
"""
import argparse
import os.path as osp
import sys
from multiprocessing import Pool

DOWNLOAD = ('download the Mapillary Vistas v2.0 release '
            '(mapillary-vistas-dataset_public_v2.0.zip, registration needed) '
            'from https://www.mapillary.com/dataset/vistas and run `unzip '
            'mapillary-vistas-dataset_public_v2.0.zip -d {root}`')
JSON_NAMES = {'1.2': 'panoptic_2018', '2.0': 'panoptic_2020'}
SPLITS = ('training', 'validation')


def panoptic_dir(split, version):
    """Relative folder of a split's panoptic JSON and PNGs."""
    return osp.join(split, f'v{version}', 'panoptic')


def ann_path(split, version):
    """Relative path of a split's panoptic JSON."""
    return osp.join(
        panoptic_dir(split, version), JSON_NAMES[version] + '.json')


def vistas_parts(root, version):
    """The parts of the layout (``mmpdl.datasets.layout_checks.Part``)."""
    from mmpdl.datasets.layout_checks import Part
    how = DOWNLOAD.format(root=root)
    parts = []
    for split in SPLITS:
        parts.append(Part(osp.join(split, 'images'), True, how))
        flat = osp.join(root, split, 'panoptic')
        if version == '1.2' and osp.isfile(
                osp.join(flat, 'panoptic_2018.json')):
            # the v1.2 release keeps the annotations one level up
            target = osp.join(root, panoptic_dir(split, version))
            how_v12 = ('this is the layout of the v1.2 release: move its '
                       f'panoptic folder with `mkdir -p {osp.dirname(target)}'
                       f' && mv {flat} {target}`')
        else:
            how_v12 = how
        parts.append(Part(ann_path(split, version), False, how_v12))
        parts.append(Part(panoptic_dir(split, version), True, how_v12))
    return parts


def file_pair(root, out, folder, name, source, key):
    """Source and output path of a file ``name`` read from the JSON
    ``source``: both stay below ``folder`` of their root (no absolute
    name, no ``..``, no symlinked output folder), so a crafted JSON cannot
    make the copy read or write elsewhere."""
    from mmpdl.utils.safe_paths import check_relative_name, join_inside
    src = osp.join(root, folder, check_relative_name(name, source, key))
    return src, join_inside(osp.join(out, folder), name, source, key)


def resize_one(task):
    """Resize (or copy) one image and its PNG; returns the updated
    ``images`` entry, annotation and the number of dropped segments."""
    import cv2
    import numpy as np

    from mmpdl.datasets.panoptic_export import segment_stats, write_id_png
    from mmpdl.datasets.transforms import read_rgb_png
    from mmpdl.structures.panoptic_ids import rgb_to_id
    from mmpdl.utils.atomic_io import atomic_write_bytes
    (root, out, split, version, longest, image, ann, source) = task
    src_img, dst_img = file_pair(root, out, osp.join(split, 'images'),
                                 image['file_name'], source,
                                 f'images[id={image["id"]!r}].file_name')
    src_png, dst_png = file_pair(
        root, out, panoptic_dir(split, version), ann['file_name'], source,
        f'annotations[image_id={ann["image_id"]!r}].file_name')
    img = cv2.imread(src_img, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(f'cannot read image {src_img!r} (missing or '
                                'truncated); unzip the release again')
    height, width = img.shape[:2]
    scale = longest / max(height, width)
    image = dict(image)
    if scale >= 1:
        for src, dst in ((src_img, dst_img), (src_png, dst_png)):
            with open(src, 'rb') as f:
                atomic_write_bytes(f.read(), dst)
        image.update(height=height, width=width)
        return image, ann, 0
    size = (int(width * scale + 0.5), int(height * scale + 0.5))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(osp.splitext(dst_img)[1], small)
    if not ok:
        raise OSError(f'could not encode {dst_img!r}')
    atomic_write_bytes(data.tobytes(), dst_img)
    seg = cv2.resize(
        rgb_to_id(read_rgb_png(src_png)).astype(np.int32),
        size,
        interpolation=cv2.INTER_NEAREST).astype(np.int64)
    write_id_png(seg, dst_png)
    ids, areas, bboxes = segment_stats(seg)
    stats = {int(i): (int(a), b) for i, a, b in zip(ids, areas, bboxes)}
    kept = []
    for info in ann['segments_info']:
        if info['id'] in stats:
            area, bbox = stats[info['id']]
            kept.append(dict(info, area=area, bbox=bbox))
    image.update(height=size[1], width=size[0])
    return image, dict(
        ann, segments_info=kept), len(ann['segments_info']) - len(kept)


def resize_split(args, split):
    """Write the resized copy of one split; returns (images, dropped)."""
    from mmpdl.datasets.panoptic_checks import load_panoptic_json
    from mmpdl.datasets.panoptic_export import write_panoptic_json
    src_json = osp.join(args.root, ann_path(split, args.version))
    ann = load_panoptic_json(
        src_json, 'by unzipping the Vistas release again (see '
        'docs/dataset_prepare.md)')
    images = {image['id']: image for image in ann['images']}
    tasks = [(args.root, args.out_dir, split, args.version,
              args.resize_longest, images[item['image_id']], item, src_json)
             for item in ann['annotations']]
    if args.nproc > 1:
        with Pool(args.nproc) as pool:
            results = pool.map(resize_one, tasks, chunksize=4)
    else:
        results = [resize_one(task) for task in tasks]
    new_images = {image['id']: image for image, _, _ in results}
    ann['images'] = [new_images.get(i['id'], i) for i in ann['images']]
    ann['annotations'] = [item for _, item, _ in results]
    write_panoptic_json(
        osp.join(args.out_dir, ann_path(split, args.version)), **ann)
    return len(results), sum(dropped for _, _, dropped in results)


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Check (and resize) Mapillary Vistas panoptic')
    parser.add_argument(
        'root', help='dataset root, e.g. data/mapillary_vistas')
    parser.add_argument('--version', choices=sorted(JSON_NAMES), default='2.0')
    parser.add_argument(
        '--resize-longest',
        type=int,
        help='write a copy resized to this longest side (the paper: 2177)')
    parser.add_argument('--out-dir', help='folder of the resized copy')
    parser.add_argument('--nproc', type=int, default=1, help='processes')
    args = parser.parse_args(argv)
    if args.resize_longest is not None:
        if not args.out_dir:
            parser.error('--resize-longest needs --out-dir')
        if osp.realpath(args.out_dir) == osp.realpath(args.root):
            parser.error(f'--out-dir {args.out_dir!r} is the dataset root: '
                         'the originals are never overwritten; give another '
                         'folder, e.g. data/mapillary_vistas_2177')
    return args


def main(argv=None) -> int:
    """Check, then resize; returns the exit code (1 if incomplete)."""
    from mmpdl.datasets.layout_checks import report
    args = parse_args(argv)
    code = report(args.root, vistas_parts(args.root, args.version),
                  f'Mapillary Vistas v{args.version} panoptic')
    if code or args.resize_longest is None:
        return code
    for split in SPLITS:
        count, dropped = resize_split(args, split)
        print(f'{split}: {count} image(s) written to {args.out_dir} at '
              f'longest side <= {args.resize_longest}; {dropped} segment(s) '
              'left without pixels by the resize were dropped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
