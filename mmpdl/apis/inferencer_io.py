"""Inputs and outputs of ``PanopticInferencer``: checking and listing
images, naming them, and turning predictions into plain arrays and files.
"""
import json
import os
import os.path as osp
from typing import List

import cv2
import mmcv
import numpy as np
from mmengine.utils import mkdir_or_exist

from mmpdl.datasets.panoptic_export import write_id_png
from mmpdl.datasets.transforms.inference_loading import ACCEPTED, to_bgr_uint8
from mmpdl.structures import PanopticDataSample

IMG_EXTENSIONS = ('.bmp', '.jpeg', '.jpg', '.png', '.tif', '.tiff', '.webp')


def list_images(folder: str) -> List[str]:
    """Sorted paths of the image files (by extension) directly in
    ``folder``; raises if there is none."""
    names = sorted(
        name for name in os.listdir(folder)
        if name.lower().endswith(IMG_EXTENSIONS)
        and osp.isfile(osp.join(folder, name)))
    if not names:
        raise FileNotFoundError(
            f'no image ({", ".join(IMG_EXTENSIONS)}) in folder {folder!r}')
    return [osp.join(folder, name) for name in names]


def check_input(item):
    """Raise a clear error for an input the pipeline cannot load.

    Args:
        item (str | np.ndarray): An image path, or a uint8 BGR array
            ((H, W, 3), (H, W, 4) BGRA, (H, W) or (H, W, 1) grayscale).

    Returns:
        str | np.ndarray: The path, or the array as (H, W, 3) uint8 BGR
        (:func:`~mmpdl.datasets.transforms.inference_loading.to_bgr_uint8`).
    """
    if isinstance(item, np.ndarray):
        return to_bgr_uint8(item)
    if not isinstance(item, str):
        raise TypeError(f'inputs must be folders, {ACCEPTED}; got '
                        f'{type(item).__name__}')
    if not osp.isfile(item):
        raise FileNotFoundError(f'image not found: {item!r}')
    if not cv2.haveImageReader(item):
        raise ValueError(f'{item!r} is not an image that OpenCV can read '
                         '(use a .png, .jpg, .bmp or .tif file)')
    return item


def input_name(item, array_index: int) -> str:
    """File stem of a path; ``'{array_index:08d}'`` for an array."""
    if isinstance(item, str):
        return osp.splitext(osp.basename(item))[0]
    return f'{array_index:08d}'


def input_rgb(item) -> np.ndarray:
    """(H, W, 3) uint8 RGB picture of an image path or a BGR array."""
    if isinstance(item, str):
        return mmcv.imread(item, channel_order='rgb')
    return np.ascontiguousarray(item[..., ::-1])


def prediction_to_dict(sample: PanopticDataSample, classes) -> dict:
    """Plain-data view of a prediction.

    Args:
        sample (PanopticDataSample): With ``pred_panoptic_seg``,
            ``pred_sem_seg`` and ``pred_instances``.
        classes (Sequence[str]): Class names, indexed by train id.

    Returns:
        dict: ``panoptic_seg`` (H, W) int64 (``train_id * label_divisor +
        instance id``), ``sem_seg`` (H, W) int64 train ids, ``instances``:
        a list of dicts with ``id`` (its panoptic id), ``label``,
        ``class_name``, ``score`` (mean semantic probability),
        ``score_sem_x_ctr`` (that times the center heatmap) and ``area``
        (pixels).
    """
    panoptic = sample.pred_panoptic_seg.data[0].cpu().numpy()
    instances = sample.pred_instances
    areas = instances.masks.flatten(1).sum(1).tolist() if len(
        instances) else []
    listed = [
        dict(
            id=int(seg_id),
            label=int(label),
            class_name=classes[int(label)],
            score=float(score),
            score_sem_x_ctr=float(score_ctr),
            area=int(area)) for seg_id, label, score, score_ctr, area in zip(
                instances.instance_ids.tolist(), instances.labels.tolist(),
                instances.scores.tolist(), instances.scores_sem_x_ctr.tolist(),
                areas)
    ]
    return dict(
        panoptic_seg=panoptic,
        sem_seg=sample.pred_sem_seg.data[0].cpu().numpy(),
        instances=listed)


def save_prediction(pred: dict, out_dir: str, name: str) -> None:
    """Write ``<name>_panoptic.png`` (RGB-encoded panoptic ids, see
    :func:`~mmpdl.structures.panoptic_ids.id_to_rgb`), ``<name>_sem.png``
    (uint8 train ids) and ``<name>_instances.json`` into ``out_dir``.

    Args:
        pred (dict): From :func:`prediction_to_dict`.
        out_dir (str): Output folder (created if needed).
        name (str): File name stem.
    """
    mkdir_or_exist(out_dir)
    write_id_png(pred['panoptic_seg'], osp.join(out_dir,
                                                f'{name}_panoptic.png'))
    mmcv.imwrite(pred['sem_seg'].astype(np.uint8),
                 osp.join(out_dir, f'{name}_sem.png'))
    with open(osp.join(out_dir, f'{name}_instances.json'), 'w') as file:
        json.dump(pred['instances'], file, indent=1)
