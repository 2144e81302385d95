"""The built-in COCO-format dataset: the synthetic street scenes of
``synthetic_scenes.py`` written in the real COCO-panoptic format, with a
class list of its own.

Nine categories in the JSON's order: four things first (``person`` 1,
``car`` 3, ``bus`` 7, ``bicycle`` 12), then five stuff (``road`` 15,
``pavement`` 23, ``building`` 40, ``tree`` 57, ``sky`` 90): the category ids
are not contiguous and the things come first, unlike Cityscapes. Image sizes
differ (each side is drawn in [0.6, 1] times ``size``); some images have crowd
regions (``iscrowd`` 1) and void pixels (id 0 in the PNG, in no segment).

Layout, as COCO's ``annotations/panoptic_{train,val}2017*``::

    OUT_DIR/train/000000000001.jpg ...
    OUT_DIR/val/000000500001.jpg ...
    OUT_DIR/annotations/panoptic_{train,val}.json
    OUT_DIR/annotations/panoptic_{train,val}/<same stem>.png

Segment ids follow panopticapi's ``IdGenerator``: a stuff segment's PNG
colour is its category colour, a thing segment's colour is the category
colour with a random offset of up to 30 per channel, unique in its image;
the id is ``R + 256 G + 256^2 B``. ``segments_info`` has ``id``,
``category_id``, ``iscrowd``, ``area`` and ``bbox`` ``[x, y, w, h]``.
"""
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np

from mmpdl.structures.panoptic_ids import rgb_to_id
from mmpdl.utils.atomic_io import atomic_write_bytes
from .panoptic_export import (segments_info_of, write_id_png,
                              write_panoptic_json)
from .synthetic_scenes import (BICYCLE, BUILDING, BUS, CAR, PERSON, ROAD,
                               SIDEWALK, SKY, VEGETATION, begin_generation,
                               finish_generation, render_scene, scene_seed)

#: the ``categories`` of the JSON, in its order
SYNTHETIC_COCO_CATEGORIES = [
    dict(
        id=cat_id,
        name=name,
        isthing=isthing,
        color=color,
        supercategory='thing' if isthing else 'stuff')
    for cat_id, name, isthing, color in (
        (1, 'person', 1, [230, 25, 75]),
        (3, 'car', 1, [60, 180, 75]),
        (7, 'bus', 1, [255, 225, 25]),
        (12, 'bicycle', 1, [0, 130, 200]),
        (15, 'road', 0, [245, 130, 48]),
        (23, 'pavement', 0, [145, 30, 180]),
        (40, 'building', 0, [70, 240, 240]),
        (57, 'tree', 0, [240, 50, 230]),
        (90, 'sky', 0, [210, 245, 60]),
    )
]
#: scene label (Cityscapes label id) -> category id; other labels are void
SCENE_TO_CATEGORY = {
    PERSON: 1,
    CAR: 3,
    BUS: 7,
    BICYCLE: 12,
    ROAD: 15,
    SIDEWALK: 23,
    BUILDING: 40,
    VEGETATION: 57,
    SKY: 90
}
#: the smallest share of ``size`` of an image side
MIN_SIDE_FRACTION = 0.6
#: largest per-channel offset of a thing segment's colour (panopticapi's)
THING_COLOUR_JITTER = 30


def _colour_id(colour: np.ndarray) -> int:
    """The segment id of one RGB colour (3,)."""
    return int(rgb_to_id(np.asarray(colour, np.uint8)[None, None])[0, 0])


def _new_segment_id(category: dict, used: set,
                    rng: np.random.Generator) -> int:
    """An id unused in the image: the category colour for stuff, else the
    colour with a random offset (panopticapi's ``IdGenerator``)."""
    base = np.asarray(category['color'], np.int64)
    if not category['isthing'] and _colour_id(base) not in used:
        return _colour_id(base)
    while True:
        offset = rng.integers(-THING_COLOUR_JITTER, THING_COLOUR_JITTER + 1, 3)
        seg_id = _colour_id(np.clip(base + offset, 0, 255))
        if seg_id and seg_id not in used:
            return seg_id


def scene_to_coco(instance_ids: np.ndarray,
                  rng: np.random.Generator) -> Tuple[np.ndarray, List[dict]]:
    """A scene's Cityscapes-encoded ids as a COCO-panoptic segment map.

    Args:
        instance_ids (np.ndarray): (H, W) int32, ``label * 1000 + k`` for
            thing instances, the bare label for stuff and crowd regions.
        rng (np.random.Generator): Draws the thing segments' colours.

    Returns:
        tuple: ``segment_map`` (H, W) int64 PNG ids (0 = void) and
        ``segments_info`` (list of dict, by increasing id).
    """
    categories = {c['id']: c for c in SYNTHETIC_COCO_CATEGORIES}
    values, index = np.unique(instance_ids, return_inverse=True)
    table = np.zeros(len(values), np.int64)
    category_of, crowd_of = {}, {}
    for i, value in enumerate(values.tolist()):
        label = value // 1000 if value >= 1000 else value
        if label not in SCENE_TO_CATEGORY:
            continue  # void: id 0
        category = categories[SCENE_TO_CATEGORY[label]]
        seg_id = _new_segment_id(category, set(category_of), rng)
        table[i] = seg_id
        category_of[seg_id] = category['id']
        crowd_of[seg_id] = int(bool(category['isthing']) and value < 1000)
    segment_map = table[index.reshape(instance_ids.shape)]
    return segment_map, segments_info_of(segment_map, category_of, crowd_of)


def _write_split(out_dir: str, split: str, num: int, size: Tuple[int, int],
                 seed: int) -> None:
    """Images, PNGs and the JSON of one split."""
    img_dir = osp.join(out_dir, split)
    png_dir = osp.join(out_dir, 'annotations', f'panoptic_{split}')
    images, annotations = [], []
    for i in range(num):
        image_seed = scene_seed(seed, split, i)
        rng = np.random.default_rng([image_seed, 1])
        height, width = (
            max(32, int(round(side * rng.uniform(MIN_SIDE_FRACTION, 1.0))))
            for side in size)
        rgb, ids = render_scene(height, width, image_seed)
        segment_map, segments = scene_to_coco(ids, rng)
        image_id = int(scene_seed(0, split, i)) + 1
        stem = f'{image_id:012d}'
        _, jpeg = cv2.imencode('.jpg', cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, 95])
        atomic_write_bytes(jpeg.tobytes(), osp.join(img_dir, stem + '.jpg'))
        write_id_png(segment_map, osp.join(png_dir, stem + '.png'))
        images.append(
            dict(
                id=image_id,
                file_name=stem + '.jpg',
                height=height,
                width=width))
        annotations.append(
            dict(
                image_id=image_id,
                file_name=stem + '.png',
                segments_info=segments))
    write_panoptic_json(
        osp.join(out_dir, 'annotations', f'panoptic_{split}.json'),
        annotations,
        SYNTHETIC_COCO_CATEGORIES,
        info=dict(description=f'mmpdl synthetic COCO-panoptic, {split}'),
        images=images)


def make_synthetic_coco_panoptic(out_dir: str,
                                 num_train: int = 40,
                                 num_val: int = 10,
                                 size: Tuple[int, int] = (256, 384),
                                 seed: int = 0) -> bool:
    """Write the built-in COCO-format dataset to ``out_dir`` (skipped if
    already there).

    Args:
        out_dir (str): Dataset root (gets ``train/``, ``val/`` and
            ``annotations/``).
        num_train (int): Train images.
        num_val (int): Val images.
        size (tuple[int, int]): Largest (height, width); each side of an
            image is drawn in [0.6, 1] times it.
        seed (int): Seed; the same arguments give the same files.

    Returns:
        bool: True when files were written, False when a complete dataset
        with the same arguments was already there.
    """
    args = dict(
        format='coco_panoptic',
        num_train=num_train,
        num_val=num_val,
        size=list(size),
        seed=seed,
        version=1)
    if not begin_generation(out_dir, args, ('train', 'val', 'annotations')):
        return False
    for split, num in (('train', num_train), ('val', num_val)):
        _write_split(out_dir, split, num, size, seed)
    finish_generation(out_dir, args)
    return True
