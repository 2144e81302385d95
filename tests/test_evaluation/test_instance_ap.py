"""Hand-built instance-AP cases with known answers, and edge cases."""
import math

import numpy as np
import pytest
import torch

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.evaluation import CityscapesInstanceMetric
from mmpdl.evaluation.functional import (instance_image_statistics,
                                         precision_recall_ap)
from mmpdl.evaluation.functional.instance_ap import (
    concat_instance_statistics, evaluate_instance_ap)

THINGS = list(range(11, 19))
CAR, PERSON = 13, 11


def test_precision_recall_ap_known_answer():
    # ascending scores .7 (TP), .8 (FP), .9 (TP), no hard FN:
    # points (p, r): (2/3, 1), (1/2, 1/2), (1, 1/2) + artificial (1, 0);
    # step widths 1/4 each -> AP = (2/3 + 1/2 + 1 + 1) / 4.
    ap = precision_recall_ap(
        np.array([1, 0, 1]), np.array([0.9, 0.8, 0.7]), hard_fns=0)
    assert ap == pytest.approx((2 / 3 + 0.5 + 1 + 1) / 4, abs=1e-12)
    # one hard false negative halves the recall of every point
    ap_fn = precision_recall_ap(np.array([1]), np.array([0.5]), hard_fns=1)
    assert ap_fn == pytest.approx(0.5, abs=1e-12)
    assert precision_recall_ap(np.zeros(0), np.zeros(0), 3) == 0.0


def _image(gt, masks, labels, scores):
    return instance_image_statistics(
        torch.as_tensor(gt), torch.as_tensor(np.array(masks, bool)),
        torch.as_tensor(labels), dict(semantic=torch.tensor(scores)), THINGS,
        1000, 255)


def test_statistics_and_matching_rules():
    gt = np.zeros((30, 30), dtype=np.int64)  # road
    gt[0:10, 0:10] = CAR * 1000 + 1  # 100 px car
    gt[20:30, 0:10] = CAR * 1000  # car group
    gt[0:5, 20:25] = PERSON * 1000 + 1  # 25 px person: too small
    gt[25:30, 20:30] = 255000  # void
    pred = np.zeros((5, 30, 30), dtype=bool)
    pred[0, 0:10, 0:9] = True  # TP (IoU 0.9)
    pred[1, 0:10, 0:8] = True  # duplicate of the same car: FP
    pred[2, 20:30, 0:10] = True  # on the group: ignored
    pred[3, 25:30, 20:30] = True  # on void: ignored
    pred[4, 0:5, 20:25] = True  # on the small person: ignored
    stats = _image(gt, pred, [CAR, CAR, CAR, CAR, PERSON],
                   [0.9, 0.8, 0.7, 0.6, 0.5])
    assert stats['gt_labels'].tolist() == [PERSON, CAR, CAR]
    assert stats['gt_is_group'].tolist() == [False, True, False]
    assert stats['pred_void'].tolist() == [0, 0, 0, 50, 0]
    ap = evaluate_instance_ap(
        concat_instance_statistics([stats]), THINGS, 'semantic')
    # car at overlap 0.5: TP .9 above FP .8 (group, void and small-person
    # predictions ignored) -> AP 1 (checked by hand with the known rule)
    expected = precision_recall_ap(np.array([1, 0]), np.array([.9, .8]), 0)
    assert expected == pytest.approx(1.0)
    car = THINGS.index(CAR)
    assert ap[car, 0] == pytest.approx(expected, abs=1e-12)
    # overlap 0.9 is not > 0.9: the car becomes a hard FN, both preds FP
    assert ap[car, -1] == 0.0
    assert np.isnan(ap[THINGS.index(PERSON)]).all()  # only a small person


def test_empty_prediction_gives_zero_ap_and_nan_for_absent_classes():
    metric = CityscapesInstanceMetric()
    metric.dataset_meta = dict(CITYSCAPES_META)
    gt = torch.zeros((1, 20, 20), dtype=torch.long)
    gt[0, :10, :10] = CAR * 1000 + 1
    empty = dict(
        masks=torch.zeros((0, 20, 20), dtype=torch.bool),
        labels=torch.zeros(0, dtype=torch.long),
        scores=torch.zeros(0),
        scores_sem_x_ctr=torch.zeros(0))
    metric.process({},
                   [dict(gt_panoptic_seg=dict(data=gt), pred_instances=empty)])
    res = metric.evaluate(1)
    assert res['cityscapes_instance/AP_car'] == 0.0
    assert math.isnan(res['cityscapes_instance/AP_person'])
    assert res['cityscapes_instance/AP'] == 0.0  # mean over classes with GT
    assert res['cityscapes_instance/AP50_sem_x_ctr'] == 0.0


def test_missing_field_is_named():
    metric = CityscapesInstanceMetric()
    metric.dataset_meta = dict(CITYSCAPES_META)
    gt = torch.zeros((1, 4, 4), dtype=torch.long)
    with pytest.raises(KeyError, match='scores_sem_x_ctr'):
        metric.process({}, [
            dict(
                gt_panoptic_seg=dict(data=gt),
                pred_instances=dict(
                    masks=torch.zeros((0, 4, 4)),
                    labels=torch.zeros(0),
                    scores=torch.zeros(0)))
        ])


def test_half_ignored_prediction_is_still_a_false_positive():
    gt = np.zeros((20, 20), dtype=np.int64)
    gt[0:10, 0:10] = CAR * 1000 + 1
    gt[10:20, :] = 255000
    pred = np.zeros((2, 20, 20), dtype=bool)
    pred[0, 0:10, 0:10] = True  # TP, score 0.5
    pred[1, 5:15, 12:14] = True  # 20 px, 10 on void: 0.5 <= 0.5 -> FP
    stats = _image(gt, pred, [CAR, CAR], [0.5, 0.9])
    ap = evaluate_instance_ap(
        concat_instance_statistics([stats]), THINGS, 'semantic')
    # FP (.9) above TP (.5): points (p, r) = (1/2, 1), (0, 0) + (1, 0);
    # step widths 1/2, 1/2, 0 -> AP = 1/4
    expected = precision_recall_ap(np.array([0, 1]), np.array([.9, .5]), 0)
    assert ap[THINGS.index(CAR), 0] == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.25)
