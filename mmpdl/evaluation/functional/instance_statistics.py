"""Compact per-image statistics for Cityscapes instance-level evaluation.

``evalInstanceLevelSemanticLabeling`` needs, per image, only: for every
ground-truth instance of a thing class its label, pixel count and whether it
is a group (crowd, id < 1000); for every predicted mask its label, pixel
count, confidence and pixels on void; and for every (prediction, ground
truth) pair of the same label their intersection. These are counted with
``bincount`` over the densely relabelled ground-truth segments, so no mask
is kept until the end of the evaluation.
"""
from typing import Dict, Sequence

import numpy as np
import torch

from mmpdl.structures.panoptic_ids import dense_segment_ids, to_numpy


def instance_image_statistics(gt_panoptic: torch.Tensor, masks: torch.Tensor,
                              labels: torch.Tensor, scores: Dict[str,
                                                                 torch.Tensor],
                              thing_ids: Sequence[int], label_divisor: int,
                              ignore_index: int) -> Dict[str, np.ndarray]:
    """Reduce one image to the numbers the instance evaluation needs.

    Tensors may be on any device; the counting runs in numpy on CPU.

    Args:
        gt_panoptic (Tensor): (H, W) int64 panoptic ground truth
            (``train_id * label_divisor + k``; k = 0 of a thing class is a
            group/crowd region; void ``ignore_index * label_divisor``).
        masks (Tensor): (K, H, W) bool predicted instance masks (may
            overlap).
        labels (Tensor): (K,) int64 train ids of the predictions.
        scores (dict[str, Tensor]): name -> (K,) float confidences.
        thing_ids (Sequence[int]): Train ids evaluated (thing classes).
        label_divisor (int): Divisor of the panoptic encoding.
        ignore_index (int): Category of void.

    Returns:
        dict[str, np.ndarray]: ``gt_labels`` (G,) int64, ``gt_areas`` (G,)
        int64, ``gt_is_group`` (G,) bool; ``pred_labels`` (P,) int64,
        ``pred_areas`` (P,) int64, ``pred_void`` (P,) int64 and one
        ``score_<name>`` (P,) float64 per score (only non-empty masks of
        thing classes are kept, in input order); ``pair_pred`` (M,),
        ``pair_gt`` (M,), ``pair_inter`` (M,) int64 for every same-label
        pair with a non-empty intersection.
    """
    gt = to_numpy(gt_panoptic).astype(np.int64, copy=False)
    masks = to_numpy(masks)
    if masks.ndim != 3 or masks.shape[1:] != gt.shape:
        raise ValueError('pred_instances.masks must be (K, H, W) at the '
                         f'ground-truth size {gt.shape}, got '
                         f'{masks.shape}.')
    if len(labels) != len(masks):
        raise ValueError(f'pred_instances has {len(masks)} masks but '
                         f'{len(labels)} labels.')
    seg_ids, seg_index = dense_segment_ids(gt)
    seg_cat = seg_ids // label_divisor
    seg_is_thing = np.isin(seg_cat, list(thing_ids))
    num_seg = len(seg_ids)

    labels = to_numpy(labels).astype(np.int64)
    keep = np.isin(labels, list(thing_ids))
    labels = labels[keep]
    masks = masks[keep].reshape(len(labels), gt.size).astype(bool, copy=False)
    kept_scores = {k: to_numpy(v)[keep] for k, v in scores.items()}
    # per mask, a bincount of the ground-truth segments under it (no
    # K x H x W nonzero of all the (mask, segment) pairs)
    counts = np.zeros((len(labels), num_seg), dtype=np.int64)
    for k, mask in enumerate(masks):
        counts[k] = np.bincount(seg_index[mask], minlength=num_seg)

    pred_areas = counts.sum(1)
    nonempty = pred_areas > 0
    counts, labels, pred_areas = (counts[nonempty], labels[nonempty],
                                  pred_areas[nonempty])
    void_cols = seg_cat == ignore_index
    gt_cols = np.nonzero(seg_is_thing)[0]
    gt_labels = seg_cat[gt_cols]
    gt_areas = np.bincount(seg_index, minlength=num_seg)[gt_cols]
    inter = counts[:, gt_cols]
    inter = np.where(labels[:, None] == gt_labels[None, :], inter, 0)
    pair_pred, pair_gt = np.nonzero(inter)
    stats = dict(
        gt_labels=gt_labels.astype(np.int64),
        gt_areas=gt_areas.astype(np.int64),
        gt_is_group=(seg_ids[gt_cols] % label_divisor) == 0,
        pred_labels=labels.astype(np.int64),
        pred_areas=pred_areas.astype(np.int64),
        pred_void=counts[:, void_cols].sum(1).astype(np.int64),
        pair_pred=pair_pred.astype(np.int64),
        pair_gt=pair_gt.astype(np.int64),
        pair_inter=inter[pair_pred, pair_gt].astype(np.int64))
    for name, value in kept_scores.items():
        value = value.astype(np.float64)
        stats[f'score_{name}'] = value[nonempty]
    return stats
