"""Average precision with the rules of ``evalInstanceLevelSemanticLabeling``.

Works on the compact statistics of :func:`instance_image_statistics`. For
each class and overlap threshold ``t`` in ``0.5:0.95:0.05`` (as the official
script, without distance thresholds):

- ground truth evaluated: instances (not groups) of at least
  ``min_region_size`` pixels;
- a prediction matches a ground truth when ``inter / (gt + pred - inter) >
  t``; of several matches of one ground truth the best-scored is a true
  positive, the others false positives; an evaluated ground truth without a
  match is a "hard" false negative;
- an unmatched prediction (matching no instance, group or small instance of
  its label) is a false positive unless more than ``t`` of it lies on void,
  groups or small instances (a small group counts twice, as there);
- AP is the step-wise integral of the official precision-recall curve (one
  point per distinct score plus the artificial point (recall 0,
  precision 1)). A class with ground truth but no prediction has AP 0; one
  without evaluated ground truth NaN (left out of the mean).
"""
from typing import Dict, List, Sequence

import numpy as np

OVERLAPS = np.arange(0.5, 1., 0.05)
MIN_REGION_SIZE = 100


def concat_instance_statistics(
        stats_list: List[Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
    """Join per-image statistics; pair indices become global.

    Args:
        stats_list (list[dict]): Outputs of ``instance_image_statistics``.

    Returns:
        dict[str, np.ndarray]: The same keys, concatenated over images.
    """
    if not stats_list:
        raise ValueError('No per-image instance statistics to evaluate.')
    pred_offset = np.cumsum([0] + [len(s['pred_labels'])
                                   for s in stats_list])[:-1]
    gt_offset = np.cumsum([0] + [len(s['gt_labels']) for s in stats_list])[:-1]
    joined = {}
    for key in stats_list[0]:
        parts = [s[key] for s in stats_list]
        if key == 'pair_pred':
            parts = [p + o for p, o in zip(parts, pred_offset)]
        elif key == 'pair_gt':
            parts = [p + o for p, o in zip(parts, gt_offset)]
        joined[key] = np.concatenate(parts)
    return joined


def precision_recall_ap(y_true: np.ndarray, y_score: np.ndarray,
                        hard_fns: int) -> float:
    """AP of the official precision-recall curve.

    Args:
        y_true (np.ndarray): (E,) 1 for a true positive, 0 for a false one.
        y_score (np.ndarray): (E,) float64 confidences.
        hard_fns (int): Ground truth instances without any match.

    Returns:
        float: Average precision (0.0 when there is no example; the official
        script fails with an ``IndexError`` in that case).
    """
    if len(y_true) == 0:
        return 0.0
    order = np.argsort(y_score, kind='stable')
    sorted_score = y_score[order]
    true_cum = np.cumsum(y_true[order].astype(np.float64))
    _, first = np.unique(sorted_score, return_index=True)
    total_true = true_cum[-1]
    # number of true examples scored strictly below each threshold
    below = np.where(first > 0, true_cum[first - 1], 0.0)
    tp = total_true - below
    fp = len(sorted_score) - first - tp
    fn = below + hard_fns
    precision = np.append(tp / (tp + fp), 1.0)
    recall = np.append(tp / (tp + fn), 0.0)
    # step widths: half the recall drop between the neighbours of a point
    padded = np.concatenate([recall[:1], recall, [0.0]])
    widths = 0.5 * (padded[:-2] - padded[2:])
    return float(np.dot(precision, widths))


def _examples_at(stats: Dict[str, np.ndarray], score: np.ndarray,
                 threshold: float, min_region_size: int):
    """True/false examples and hard false negatives at one overlap."""
    gt_areas, pred_areas = stats['gt_areas'], stats['pred_areas']
    pair_pred, pair_gt = stats['pair_pred'], stats['pair_gt']
    inter = stats['pair_inter']
    overlap = inter / (gt_areas[pair_gt] + pred_areas[pair_pred] - inter)
    hit = overlap > threshold
    small = gt_areas < min_region_size
    evaluated = ~stats['gt_is_group'] & ~small

    # matches with evaluated ground truth: best score per gt is a TP
    match = hit & evaluated[pair_gt]
    m_gt, m_pred = pair_gt[match], pair_pred[match]
    m_score = score[m_pred]
    order = np.lexsort((m_score, m_gt))
    m_gt, m_pred, m_score = m_gt[order], m_pred[order], m_score[order]
    is_best = np.ones(len(m_gt), dtype=bool)
    is_best[:-1] = m_gt[1:] != m_gt[:-1]
    matched_gt = np.zeros(len(gt_areas), dtype=bool)
    matched_gt[m_gt] = True
    hard_fn = evaluated & ~matched_gt

    # predictions matching nothing: FP unless mostly on ignored regions
    found = np.zeros(len(pred_areas), dtype=bool)
    found[pair_pred[hit]] = True
    ignore_weight = (
        stats['gt_is_group'][pair_gt].astype(np.int64) +
        small[pair_gt].astype(np.int64))
    ignored_px = stats['pred_void'] + np.bincount(
        pair_pred, weights=inter * ignore_weight,
        minlength=len(pred_areas)).astype(np.int64)
    lone_fp = ~found & (ignored_px / pred_areas <= threshold)

    labels = np.concatenate(
        [stats['gt_labels'][m_gt], stats['pred_labels'][lone_fp]])
    y_true = np.concatenate([is_best, np.zeros(lone_fp.sum(), bool)])
    y_score = np.concatenate([m_score, score[lone_fp]])
    return labels, y_true, y_score, stats['gt_labels'][hard_fn]


def evaluate_instance_ap(stats: Dict[str, np.ndarray],
                         thing_ids: Sequence[int],
                         score_name: str,
                         overlaps: np.ndarray = OVERLAPS,
                         min_region_size: int = MIN_REGION_SIZE) -> np.ndarray:
    """AP per thing class and overlap threshold.

    Args:
        stats (dict): Output of :func:`concat_instance_statistics`.
        thing_ids (Sequence[int]): Classes evaluated (rows of the result).
        score_name (str): Which ``score_<name>`` array ranks predictions.
        overlaps (np.ndarray): (T,) overlap thresholds.
        min_region_size (int): Smallest ground truth evaluated (pixels).

    Returns:
        np.ndarray: (len(thing_ids), T) float64 AP, NaN where a class has
        no evaluated ground truth or no prediction at all.
    """
    score = stats[f'score_{score_name}']
    evaluated = ~stats['gt_is_group'] & (stats['gt_areas'] >= min_region_size)
    ap = np.full((len(thing_ids), len(overlaps)), np.nan)
    for o_i, threshold in enumerate(overlaps):
        labels, y_true, y_score, fn_labels = _examples_at(
            stats, score, threshold, min_region_size)
        for c_i, cls in enumerate(thing_ids):
            have_gt = bool((evaluated & (stats['gt_labels'] == cls)).any())
            have_pred = bool((stats['pred_labels'] == cls).any())
            if have_gt and have_pred:
                sel = labels == cls
                ap[c_i,
                   o_i] = precision_recall_ap(y_true[sel], y_score[sel],
                                              int((fn_labels == cls).sum()))
            elif have_gt:
                ap[c_i, o_i] = 0.0
    return ap
