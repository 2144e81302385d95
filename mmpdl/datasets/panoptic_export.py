"""COCO-panoptic files, the one writer of their RGB-id PNGs and JSON:
ground truth (dataset tools, the built-in dataset) and predictions
(:mod:`mmpdl.evaluation.functional.panoptic_writers`), written atomically.
"""
from typing import List, Tuple

import numpy as np

from mmpdl.structures.panoptic_ids import dense_segment_ids, id_to_rgb
from mmpdl.utils.atomic_io import save_json, save_png


def segment_stats(seg_map: np.ndarray) -> Tuple[np.ndarray, np.ndarray, list]:
    """Area and bounding box of every non-zero segment of an id map.

    Args:
        seg_map (np.ndarray): (H, W) non-negative int64 segment ids; 0 is
            void.

    Returns:
        tuple: ``ids`` (S,) int64 sorted non-zero ids, ``areas`` (S,) int64
        pixel counts and ``bboxes``, a list of S COCO boxes ``[x, y, w,
        h]`` (ints, the tightest box around the segment's pixels).
    """
    height, width = seg_map.shape
    ids, index = dense_segment_ids(seg_map)
    num = len(ids)
    areas = np.bincount(index, minlength=num)
    rows = np.repeat(np.arange(height), width)
    cols = np.tile(np.arange(width), height)
    # (S, H) and (S, W): whether segment s has a pixel in that row / column
    in_row = np.bincount(
        index * height + rows, minlength=num * height).reshape(num, height) > 0
    in_col = np.bincount(
        index * width + cols, minlength=num * width).reshape(num, width) > 0
    top = in_row.argmax(1)
    bottom = height - 1 - in_row[:, ::-1].argmax(1)
    left = in_col.argmax(1)
    right = width - 1 - in_col[:, ::-1].argmax(1)
    bboxes = [[int(x0), int(y0),
               int(x1 - x0 + 1),
               int(y1 - y0 + 1)]
              for x0, y0, x1, y1 in zip(left, top, right, bottom)]
    keep = ids != 0
    return (ids[keep], areas[keep].astype(np.int64),
            [box for box, k in zip(bboxes, keep) if k])


def write_id_png(seg_map: np.ndarray, path: str) -> None:
    """Write an id map as an RGB-id PNG, atomically.

    Args:
        seg_map (np.ndarray | Tensor): (H, W) integer ids in ``[0, 2^24)``.
        path (str): Destination ``.png``; its folder is created.
    """
    save_png(id_to_rgb(seg_map), path)


def segments_info_of(seg_map: np.ndarray, categories: dict,
                     crowd: dict) -> List[dict]:
    """The ``segments_info`` of an id map.

    Args:
        seg_map (np.ndarray): (H, W) int64 segment ids, 0 void.
        categories (dict[int, int]): Category id of every non-zero id.
        crowd (dict[int, int]): ``iscrowd`` (0/1) of every non-zero id.

    Returns:
        list[dict]: ``id``, ``category_id``, ``iscrowd``, ``area``,
        ``bbox`` of each segment with pixels, by increasing id.
    """
    ids, areas, bboxes = segment_stats(seg_map)
    return [
        dict(
            id=int(i),
            category_id=int(categories[int(i)]),
            iscrowd=int(crowd[int(i)]),
            area=int(a),
            bbox=b) for i, a, b in zip(ids, areas, bboxes)
    ]


def write_panoptic_json(path: str, annotations: List[dict],
                        categories: List[dict], **fields) -> None:
    """Write a COCO-panoptic JSON, atomically.

    Args:
        path (str): Destination; its folder is created.
        annotations (list[dict]): ``image_id``, ``file_name`` (the PNG)
            and ``segments_info`` of each image.
        categories (list[dict]): ``id``, ``name``, ``isthing`` ... of each
            category.
        **fields: Other keys, e.g. ``images`` (ground truth), ``info``.
    """
    save_json(
        dict(fields, annotations=annotations, categories=categories), path)
