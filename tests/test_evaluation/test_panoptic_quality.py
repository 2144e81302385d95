"""Hand-built panoptic cases with known answers, and edge cases."""
import math

import numpy as np
import pytest
import torch

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.evaluation import CityscapesPanopticMetric
from mmpdl.evaluation.functional import (panoptic_image_statistics,
                                         summarize_panoptic_quality)

THINGS = list(range(11, 19))
VOID = 255000
CAR, PERSON, ROAD = 13, 11, 0


def _stats(gt, pred):
    return panoptic_image_statistics(
        torch.as_tensor(gt), torch.as_tensor(pred), THINGS, 19, 1000, 255)


def test_union_leaves_out_predicted_void():
    # gt car: 100 px; pred car: 60 px on it + 50 px on void.
    # IoU = 60 / (110 + 100 - 60 - 50) = 0.6 (0.4 if void were kept).
    gt = np.full((20, 20), ROAD * 1000, dtype=np.int64)
    gt[0:10, 0:10] = CAR * 1000 + 1
    gt[10:15, 0:10] = VOID
    pred = np.full_like(gt, ROAD * 1000)
    pred[4:15, 0:10] = CAR * 1000 + 1
    s = _stats(gt, pred)
    assert s['tp'][CAR] == 1 and s['fp'][CAR] == 0 and s['fn'][CAR] == 0
    assert s['iou'][CAR] == pytest.approx(0.6, abs=1e-12)


def test_void_and_crowd_rules_for_false_positives():
    gt = np.full((20, 40), ROAD * 1000, dtype=np.int64)
    gt[0:10, 0:10] = VOID
    gt[0:10, 20:30] = CAR * 1000  # car crowd region
    pred = np.full_like(gt, ROAD * 1000)
    pred[0:10, 0:8] = CAR * 1000 + 1  # all on void: ignored
    pred[0:6, 20:28] = CAR * 1000 + 2  # on the car crowd: ignored
    pred[10:20, 20:30] = PERSON * 1000 + 1  # on road: FP
    pred[6:10, 20:30] = PERSON * 1000 + 2  # on another class' crowd: FP
    s = _stats(gt, pred)
    assert s['fp'][CAR] == 0 and s['tp'][CAR] == 0 and s['fn'][CAR] == 0
    assert s['fp'][PERSON] == 2
    # the road gt (not crowd) is matched by the road prediction
    assert s['tp'][ROAD] == 1


def test_all_void_prediction_is_all_false_negatives():
    gt = np.full((10, 10), ROAD * 1000, dtype=np.int64)
    gt[:5, :5] = CAR * 1000 + 1
    s = _stats(gt, np.full_like(gt, VOID))
    assert s['fn'][ROAD] == 1 and s['fn'][CAR] == 1
    assert s['tp'].sum() == 0 and s['fp'].sum() == 0


def test_summary_known_answer_and_absent_classes():
    tp, fp, fn = (np.zeros(19, np.int64) for _ in range(3))
    iou = np.zeros(19)
    tp[ROAD], iou[ROAD] = 2, 1.6  # PQ = 1.6 / 2 = 0.8
    tp[CAR], fp[CAR], fn[CAR], iou[CAR] = 1, 1, 1, 0.7  # PQ = 0.7 / 2
    fp[PERSON] = 1  # only predicted: PQ 0, counted
    res = summarize_panoptic_quality(tp, fp, fn, iou, THINGS, range(11))
    assert res['Stuff']['n'] == 1 and res['Things']['n'] == 2
    assert res['All']['pq'] == pytest.approx((0.8 + 0.35 + 0.0) / 3)
    assert res['Things']['sq'] == pytest.approx((0.7 + 0.0) / 2)
    assert math.isnan(res['per_class']['pq'][3])  # wall: absent


def test_metric_all_void_image_everywhere_gives_nan_not_crash():
    metric = CityscapesPanopticMetric()
    metric.dataset_meta = dict(CITYSCAPES_META)
    void = torch.full((1, 8, 8), VOID, dtype=torch.long)
    metric.process({}, [
        dict(
            gt_panoptic_seg=dict(data=void), pred_panoptic_seg=dict(data=void))
    ])
    res = metric.evaluate(1)
    assert math.isnan(res['cityscapes_panoptic/PQ'])


def test_bad_encoding_names_the_values():
    gt = torch.full((4, 4), 30 * 1000, dtype=torch.long)  # class 30 > 18
    with pytest.raises(ValueError, match='30000'):
        panoptic_image_statistics(gt, gt, THINGS, 19, 1000, 255)
    with pytest.raises(ValueError, match='shape'):
        panoptic_image_statistics(gt, gt[:2], THINGS, 19, 1000, 255)


def test_iou_of_exactly_one_half_does_not_match():
    gt = np.full((10, 20), ROAD * 1000, dtype=np.int64)
    gt[0:10, 0:10] = CAR * 1000 + 1  # 100 px
    pred = np.full_like(gt, ROAD * 1000)
    pred[0:5, 0:10] = CAR * 1000 + 1  # 50 px inside: IoU 0.5
    s = _stats(gt, pred)
    assert s['tp'][CAR] == 0 and s['fn'][CAR] == 1 and s['fp'][CAR] == 1


def test_metric_without_dataset_meta_names_the_fix():
    metric = CityscapesPanopticMetric()
    void = torch.full((1, 4, 4), VOID, dtype=torch.long)
    sample = dict(
        gt_panoptic_seg=dict(data=void), pred_panoptic_seg=dict(data=void))
    with pytest.raises(
            KeyError,
            match='CityscapesPanopticMetric needs the dataset.*panoptic '
            'metadata.*evaluate through the Runner'):
        metric.process({}, [sample])
