"""The built-in dataset: synthetic street scenes (``synthetic_scenes.py``)
in the real Cityscapes layout, converted to panoptic ground truth by
cityscapesscripts.

Written files follow Cityscapes exactly: ``leftImg8bit/<split>/<city>/
<city>_<seq>_<frame>_leftImg8bit.png``, ``gtFine/<split>/<city>/
*_gtFine_labelIds.png`` and ``*_gtFine_instanceIds.png`` (label_id * 1000 +
k for thing instances, label_id for stuff and crowd, as Cityscapes labels a
crowd), then :func:`prepare_cityscapes_panoptic` (cityscapesscripts) makes
the panoptic JSON and PNGs.
"""
import os
import os.path as osp
from typing import Tuple

import cv2
import numpy as np

from .cityscapes_prepare import prepare_cityscapes_panoptic
from .synthetic_scenes import (begin_generation, finish_generation,
                               render_scene, scene_seed)

CITIES = dict(
    train=('aachen', 'bochum', 'bremen'),
    val=('frankfurt', 'lindau', 'munster'),
    test=('berlin', 'bielefeld', 'bonn'))


def _write_split(out_dir, split, num, size, seed):
    h, w = size
    cities = CITIES[split]
    for i in range(num):
        city = cities[i % len(cities)]
        stem = f'{city}_{i:06d}_000019'
        rgb, ids = render_scene(h, w, scene_seed(seed, split, i))
        img_dir = osp.join(out_dir, 'leftImg8bit', split, city)
        os.makedirs(img_dir, exist_ok=True)
        cv2.imwrite(
            osp.join(img_dir, stem + '_leftImg8bit.png'),
            cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if split == 'test':  # images only, as the real test split
            continue
        gt_dir = osp.join(out_dir, 'gtFine', split, city)
        os.makedirs(gt_dir, exist_ok=True)
        label_ids = np.where(ids >= 1000, ids // 1000, ids).astype(np.uint8)
        cv2.imwrite(osp.join(gt_dir, stem + '_gtFine_labelIds.png'), label_ids)
        cv2.imwrite(
            osp.join(gt_dir, stem + '_gtFine_instanceIds.png'),
            ids.astype(np.uint16))


def make_synthetic_cityscapes(out_dir: str,
                              num_train: int = 40,
                              num_val: int = 10,
                              size: Tuple[int, int] = (256, 512),
                              seed: int = 0,
                              nproc: int = 1,
                              verbose: bool = False,
                              num_test: int = 0) -> bool:
    """Write the built-in dataset to ``out_dir`` (skipped if already there).

    Args:
        out_dir (str): Dataset root (gets leftImg8bit/ and gtFine/).
        num_train (int): Train images.
        num_val (int): Val images.
        num_test (int): Test images (``leftImg8bit/test`` only, no
            annotations, like the real test split).
        size (tuple[int, int]): (height, width) of every image.
        seed (int): Seed; the same arguments give the same files.
        nproc (int): Processes for the cityscapesscripts conversion.
        verbose (bool): Show cityscapesscripts' output.

    Returns:
        bool: True when files were written, False when a complete dataset
        with the same arguments was already there.
    """
    args = dict(
        num_train=num_train,
        num_val=num_val,
        size=list(size),
        seed=seed,
        version=1)
    if num_test:
        args['num_test'] = num_test
    if not begin_generation(out_dir, args, ('leftImg8bit', 'gtFine')):
        return False
    for split, num in (('train', num_train), ('val', num_val), ('test',
                                                                num_test)):
        _write_split(out_dir, split, num, size, seed)
    prepare_cityscapes_panoptic(out_dir, nproc=nproc, verbose=verbose)
    finish_generation(out_dir, args)
    return True
