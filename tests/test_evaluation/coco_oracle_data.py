"""Tiny COCO-panoptic ground truth with its own class list + predictions.

Nine classes, four of them things, with non-contiguous category ids that
are not sorted by train id. Ground truth is drawn directly as COCO-panoptic
PNGs (random segment ids up to 2^24) + a JSON, at several image sizes, and
decoded with ``LoadPanopticAnnotations`` as the datasets do. Predictions
perturb the decoded ground truth so that every rule of the panoptic
evaluation is exercised: dropped, merged, split, shifted and wrongly
classified instances, predictions on void and on crowd regions (of their own
and of another class), void predictions, a thing predicted without instance
id, a class only predicted (wall) and one in neither (grass).
"""
import json
import os.path as osp

import numpy as np
import torch

from mmpdl.datasets.panoptic_export import write_id_png
from mmpdl.datasets.transforms import LoadPanopticAnnotations
from mmpdl.structures import PanopticMetaInfo

CLASSES = ('sky', 'person', 'road', 'car', 'grass', 'dog', 'bicycle', 'wall',
           'tree')
LABEL_IDS = (187, 1, 149, 3, 125, 18, 2, 171, 184)
THING_IDS = (1, 3, 5, 6)
TOY_META = dict(
    classes=CLASSES,
    label_ids=LABEL_IDS,
    thing_ids=list(THING_IDS),
    stuff_ids=[i for i in range(len(CLASSES)) if i not in THING_IDS],
    label_divisor=1000,
    ignore_index=255)
SIZES = ((60, 80), (72, 96), (64, 64), (80, 70), (56, 90), (66, 77))
TRAIN = {name: i for i, name in enumerate(CLASSES)}
VOID = 255000


def _draw_scene(rng, height, width, index):
    """Segment-id map + ``{id: (category_id, iscrowd)}`` of one image."""
    seg = np.zeros((height, width), dtype=np.int64)  # 0 = void
    segments = {}

    def paint(mask, name, crowd=0):
        seg_id = int(rng.integers(1, 1 << 24))
        while seg_id in segments:
            seg_id = int(rng.integers(1, 1 << 24))
        segments[seg_id] = (LABEL_IDS[TRAIN[name]], crowd)
        seg[mask] = seg_id

    rows = np.arange(height)[:, None] + np.zeros((1, width), int)
    paint(rows < height // 3, 'sky')
    paint((rows >= height // 3) & (rows < height // 2), 'tree')
    paint(rows >= height // 2, 'road')
    seg[-4:] = 0  # void strip
    things = ('person', 'car', 'dog', 'bicycle')
    for _ in range(int(rng.integers(4, 8))):
        h, w = int(rng.integers(8, 20)), int(rng.integers(8, 24))
        y, x = int(rng.integers(0,
                                height - h)), int(rng.integers(0, width - w))
        mask = np.zeros_like(seg, dtype=bool)
        mask[y:y + h, x:x + w] = True
        paint(mask, things[int(rng.integers(len(things)))])
    crowd = np.zeros_like(seg, dtype=bool)
    crowd[height // 2 + 2:height // 2 + 12, 2:26] = True
    paint(crowd, 'person', crowd=1)
    if index % 2:
        crowd = np.zeros_like(seg, dtype=bool)
        crowd[2:10, width - 20:width - 4] = True
        paint(crowd, 'car', crowd=1)
    present = set(np.unique(seg).tolist())
    return seg, {k: v for k, v in segments.items() if k in present}


def write_coco_ground_truth(root, rng, num_images=len(SIZES)):
    """Write ``panoptic_val.json`` + ``panoptic_val/*.png`` under ``root``.

    Returns:
        list[dict]: Per image ``image_id``, ``file_name`` (PNG path) and
        ``segments_info``, as the datasets' data infos hold them.
    """
    png_dir = osp.join(root, 'panoptic_val')
    images, annotations, infos = [], [], []
    for index in range(num_images):
        height, width = SIZES[index % len(SIZES)]
        seg, segments = _draw_scene(rng, height, width, index)
        image_id = 100 + 7 * index
        file_name = f'{image_id:012d}.png'
        write_id_png(seg, osp.join(png_dir, file_name))
        ids, areas = np.unique(seg, return_counts=True)
        area = dict(zip(ids.tolist(), areas.tolist()))
        segments_info = [
            dict(id=k, category_id=c, iscrowd=crowd, area=area[k])
            for k, (c, crowd) in segments.items()
        ]
        images.append(
            dict(
                id=image_id,
                file_name=f'{image_id:012d}.jpg',
                height=height,
                width=width))
        annotations.append(
            dict(
                image_id=image_id,
                file_name=file_name,
                segments_info=segments_info))
        infos.append(
            dict(
                image_id=image_id,
                pan_map_path=osp.join(png_dir, file_name),
                segments_info=segments_info))
    categories = [
        dict(id=lid, name=name, isthing=int(i in THING_IDS))
        for i, (name, lid) in enumerate(zip(CLASSES, LABEL_IDS))
    ]
    with open(osp.join(root, 'panoptic_val.json'), 'w') as f:
        json.dump(
            dict(
                images=images, annotations=annotations, categories=categories),
            f)
    return infos


def decode_ground_truth(info):
    """mmpdl's panoptic map of one image through the datasets' loader."""
    results = dict(info, panoptic_meta=PanopticMetaInfo.from_dict(TOY_META))
    results = LoadPanopticAnnotations().transform(results)
    return results['gt_panoptic_seg'].astype(np.int64)


#: train ids the perturbations of the toy data use
TOY_ROLES = dict(
    background=TRAIN['road'],
    crowd=TRAIN['person'],
    other_thing=TRAIN['dog'],
    extra_stuff=TRAIN['wall'])


def perturb(gt, index, rng, thing_ids=THING_IDS, roles=TOY_ROLES):
    """A predicted panoptic map (mmpdl encoding) from the ground truth.

    Args:
        gt (np.ndarray): (H, W) int64 ground truth.
        index (int): Which perturbations (by image).
        rng (np.random.Generator): For the shifts.
        thing_ids (Sequence[int]): Thing train ids.
        roles (dict): Train ids of ``background`` (stuff painted over
            void), ``crowd`` (a thing class with crowd regions),
            ``other_thing`` and ``extra_stuff``.
    """
    thing_ids = tuple(thing_ids)
    pred = gt.copy()
    pred[gt == VOID] = roles['background'] * 1000  # void predicted as stuff
    things = [v for v in np.unique(gt) if v // 1000 in thing_ids and v % 1000]
    crowd = roles['crowd'] * 1000
    other = roles['other_thing'] * 1000
    if index == 0 and len(things) >= 4:
        pred[gt == things[0]] = roles['background'] * 1000  # dropped
        pred[gt == things[1]] = things[2]  # merged into another
        mask = np.argwhere(gt == things[3])  # split in two halves
        half = mask[:len(mask) // 2]
        pred[half[:, 0], half[:, 1]] = things[3] + 50
    elif index == 1 and things:
        wrong = thing_ids[(thing_ids.index(things[0] // 1000) + 1) %
                          len(thing_ids)]
        pred[gt == things[0]] = wrong * 1000 + 7  # wrong class
        pred[gt == crowd] = crowd + 9  # on its own crowd
        pred[-6:, 5:30] = other + 900  # mostly on void
    elif index == 2:
        pred[gt == crowd] = other + 11  # on a crowd of another class: FP
        pred[:8, :20] = roles['extra_stuff'] * 1000
    elif index == 3:
        pred[:, :] = VOID  # all void
    elif index == 4 and things:
        pred[10:30, 10:40] = VOID  # a void hole
        cls = things[0] // 1000
        pred[gt // 1000 == cls] = cls * 1000  # a thing without instance id
    for v in things[4:]:
        if rng.random() < 0.6:  # shifted masks
            mask = gt == v
            pred[mask & (pred == v)] = roles['background'] * 1000
            dy, dx = rng.integers(-5, 6, size=2)
            pred[np.roll(np.roll(mask, dy, 0), dx, 1)] = v
    return pred


def make_coco_samples(root, seed=0):
    """Write the ground truth; return data sample dicts with predictions."""
    rng = np.random.default_rng(seed)
    infos = write_coco_ground_truth(root, rng)
    samples = []
    for index, info in enumerate(infos):
        gt = decode_ground_truth(info)
        pred = perturb(gt, index, rng)
        samples.append(
            dict(
                img_path=osp.join(root, 'val', f"{info['image_id']:012d}.jpg"),
                image_id=info['image_id'],
                pan_map_path=info['pan_map_path'],
                ori_shape=gt.shape,
                gt_panoptic_seg=dict(data=torch.from_numpy(gt)[None]),
                pred_panoptic_seg=dict(data=torch.from_numpy(pred)[None])))
    return samples
