"""Panoptic quality with the rules of cityscapesscripts' panoptic evaluator.

``evalPanopticSemanticLabeling`` (COCO panoptic rules) matches, per image, a
predicted and a ground-truth segment of the same category when their IoU is
above 0.5, where the union leaves out the predicted pixels on void ground
truth. Crowd ground truth is never matched nor a false negative; an unmatched
prediction is not a false positive when more than half of it lies on void or
on the crowd region of its own category. Here one image is reduced to four
numbers per category (TP, FP, FN, summed IoU) from the pairs (ground-truth
segment, predicted segment) that overlap and their pixels, counted on runs of
pixels (:func:`mmpdl.structures.panoptic_ids.joint_segment_pairs`).
"""
from typing import Dict, Sequence

import numpy as np
import torch

from mmpdl.structures.panoptic_ids import (as_array, joint_segment_pairs,
                                           to_numpy)


def _split_ids(ids: np.ndarray, label_divisor: int, ignore_index: int,
               num_classes: int, what: str) -> np.ndarray:
    """Category (train id) of each panoptic id; -1 for void; checks range."""
    cats = ids // label_divisor
    void = cats == ignore_index
    bad = (~void) & ((cats < 0) | (cats >= num_classes))
    if bad.any():
        raise ValueError(
            f'{what} has panoptic ids {ids[bad][:5].tolist()} whose category '
            f'(id // label_divisor={label_divisor}) is neither a class in '
            f'[0, {num_classes}) nor ignore_index={ignore_index}. Check '
            'label_divisor/ignore_index in dataset_meta.')
    return np.where(void, -1, cats)


def panoptic_image_statistics(gt_panoptic: torch.Tensor,
                              pred_panoptic: torch.Tensor,
                              thing_ids: Sequence[int], num_classes: int,
                              label_divisor: int,
                              ignore_index: int) -> Dict[str, np.ndarray]:
    """Per-category TP, FP, FN and summed IoU of one image.

    Args:
        gt_panoptic (Tensor | np.ndarray): (H, W) ground truth of any
            integer dtype, ``train_id * label_divisor + k`` (k = 0 with a
            thing class is a crowd region), void
            ``ignore_index * label_divisor``.
        pred_panoptic (Tensor | np.ndarray): (H, W) prediction in the same
            encoding, any integer dtype; every distinct non-void id is one
            segment.
        thing_ids (Sequence[int]): Train ids of thing classes.
        num_classes (int): Number of classes C.
        label_divisor (int): Divisor of the encoding.
        ignore_index (int): Category of void.

    Returns:
        dict[str, np.ndarray]: ``tp``, ``fp``, ``fn`` (C,) int64 and
        ``iou`` (C,) float64 (sum of the IoUs of the matched pairs).
    """
    if gt_panoptic.shape != pred_panoptic.shape:
        raise ValueError('gt_panoptic_seg and pred_panoptic_seg differ in '
                         f'shape: {tuple(gt_panoptic.shape)} vs '
                         f'{tuple(pred_panoptic.shape)}; predictions must be '
                         'at the original image size.')
    gt, pred = as_array(gt_panoptic), as_array(pred_panoptic)
    if isinstance(gt, torch.Tensor) != isinstance(pred, torch.Tensor):
        gt, pred = to_numpy(gt), to_numpy(pred)
    elif isinstance(gt, torch.Tensor):
        pred = pred.to(gt.device)
    gt_ids, pred_ids, rows, cols, inter = joint_segment_pairs(
        gt, pred, names=('gt_panoptic_seg', 'pred_panoptic_seg'))
    gt_ids, pred_ids = to_numpy(gt_ids), to_numpy(pred_ids)
    num_gt, num_pred = len(gt_ids), len(pred_ids)

    gt_cat = _split_ids(gt_ids, label_divisor, ignore_index, num_classes,
                        'gt_panoptic_seg')
    pred_cat = _split_ids(pred_ids, label_divisor, ignore_index, num_classes,
                          'pred_panoptic_seg')
    is_thing = np.zeros(num_classes + 1, dtype=bool)
    is_thing[np.asarray(thing_ids, dtype=np.int64)] = True
    gt_void = gt_cat < 0
    gt_crowd = ~gt_void & is_thing[gt_cat] & (gt_ids % label_divisor == 0)
    pred_valid = pred_cat >= 0
    gt_area = np.bincount(rows, inter, num_gt)
    pred_area = np.bincount(cols, inter, num_pred)
    # the pairs' gt side: void, crowd or a segment that can be matched
    pair_void = gt_void[rows]
    pair_crowd = gt_crowd[rows]
    same_cat = gt_cat[rows] == pred_cat[cols]
    pred_on_void = np.bincount(cols[pair_void], inter[pair_void], num_pred)

    # IoU of the pairs (union without the prediction's pixels on void);
    # only same-category pairs of a matchable gt and a non-void
    # prediction count.
    union = gt_area[rows] + pred_area[cols] - inter - pred_on_void[cols]
    iou = inter / np.maximum(union, 1)
    matched = (
        same_cat & ~pair_void & ~pair_crowd & pred_valid[cols]
        & (iou > 0.5))
    match_rows, match_cols = rows[matched], cols[matched]
    match_cat = gt_cat[match_rows]
    tp = np.bincount(match_cat, minlength=num_classes)
    iou_sum = np.bincount(match_cat, iou[matched], num_classes)

    gt_unmatched = ~gt_void & ~gt_crowd
    gt_unmatched[match_rows] = False
    fn = np.bincount(gt_cat[gt_unmatched], minlength=num_classes)

    # Unmatched predictions: ignored if > half lies on void or on the
    # crowd region of their own category.
    on_crowd = same_cat & pair_crowd
    on_crowd = np.bincount(cols[on_crowd], inter[on_crowd], num_pred)
    ignored = (pred_on_void + on_crowd) / np.maximum(pred_area, 1) > 0.5
    pred_fp = pred_valid & ~ignored
    pred_fp[match_cols] = False
    fp = np.bincount(pred_cat[pred_fp], minlength=num_classes)
    return dict(
        tp=tp.astype(np.int64),
        fp=fp.astype(np.int64),
        fn=fn.astype(np.int64),
        iou=iou_sum.astype(np.float64))


def summarize_panoptic_quality(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray,
                               iou: np.ndarray, thing_ids: Sequence[int],
                               stuff_ids: Sequence[int]) -> Dict[str, dict]:
    """PQ, SQ, RQ per category and averaged as the official script does.

    A category with ``tp + fp + fn == 0`` (absent from ground truth and
    prediction) is left out of the averages; its per-class values are NaN
    (the official script prints 0.0 for it but also leaves it out). A group
    without any such category averages to NaN (the official script raises
    ``ZeroDivisionError``).

    Args:
        tp, fp, fn (np.ndarray): (C,) int64 totals over the dataset.
        iou (np.ndarray): (C,) float64 summed IoU of true positives.
        thing_ids (Sequence[int]): Thing categories.
        stuff_ids (Sequence[int]): Stuff categories.

    Returns:
        dict: ``per_class`` with ``pq``, ``sq``, ``rq`` (C,) float64 arrays
        and ``All``/``Things``/``Stuff`` dicts with ``pq``, ``sq``, ``rq``
        (float) and ``n`` (int, categories averaged).
    """
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    present = tp + fp + fn > 0
    with np.errstate(divide='ignore', invalid='ignore'):
        denom = tp + 0.5 * fp + 0.5 * fn
        pq = np.where(present, iou / denom, np.nan)
        sq = np.where(present, np.where(tp > 0, iou / tp, 0.0), np.nan)
        rq = np.where(present, tp / denom, np.nan)
    results = dict(per_class=dict(pq=pq, sq=sq, rq=rq))
    groups = dict(
        All=sorted(list(thing_ids) + list(stuff_ids)),
        Things=list(thing_ids),
        Stuff=list(stuff_ids))
    for name, cats in groups.items():
        cats = np.asarray(cats, dtype=np.int64)
        cats = cats[present[cats]]
        n = len(cats)
        results[name] = dict(
            pq=float(pq[cats].mean()) if n else float('nan'),
            sq=float(sq[cats].mean()) if n else float('nan'),
            rq=float(rq[cats].mean()) if n else float('nan'),
            n=n)
    return results
