"""CocoInstanceMetric on hand-made cases whose COCO AP is computed by hand.

COCO AP at one IoU threshold: detections sorted by score, cumulative
precision/recall, precision made non-increasing from the right, then read
at the 101 recall points 0, 0.01, ..., 1 (0 beyond the last recall) and
averaged; AP averages the thresholds 0.5:0.95:0.05. The image is 40x50, so
every object is "small" (APm/APl have no ground truth: NaN).
"""
import copy
import json
import math

import numpy as np
import pytest
import torch

from mmpdl.evaluation import CocoInstanceMetric
from mmpdl.evaluation.functional.coco_instances import encode_masks
from .coco_oracle_data import TOY_META

SHAPE = (40, 50)
PERSON, CAR, DOG = 1, 3, 5  # train ids (category ids 1, 3, 18)
ROAD = 2 * 1000


def _box(y0, y1, x0, x1):
    mask = np.zeros(SHAPE, bool)
    mask[y0:y1, x0:x1] = True
    return mask


def _sample(name, gt_segments, dets):
    """gt_segments: (panoptic value, mask); dets: (label, mask, score,
    score_sem_x_ctr)."""
    gt = np.full(SHAPE, ROAD, np.int64)
    for value, mask in gt_segments:
        gt[mask] = value
    masks = np.stack([d[1] for d in dets]) if dets else np.zeros(
        (0, ) + SHAPE, bool)
    return dict(
        img_path=f'/data/val/{name}.jpg',
        gt_panoptic_seg=dict(data=torch.from_numpy(gt)[None]),
        pred_instances=dict(
            masks=torch.from_numpy(masks),
            labels=torch.tensor([d[0] for d in dets], dtype=torch.long),
            scores=torch.tensor([d[2] for d in dets]),
            scores_sem_x_ctr=torch.tensor([d[3] for d in dets])))


def _evaluate(samples, **kwargs):
    metric = CocoInstanceMetric(**kwargs)
    metric.dataset_meta = dict(TOY_META)
    metric.process({}, copy.deepcopy(samples))
    return metric.evaluate(len(samples))


def _check(result, key, expected):
    value = result['coco_instance/' + key]
    if math.isnan(expected):
        assert math.isnan(value), key
    else:
        assert value == pytest.approx(expected, abs=1e-9), key


PERSON_A = _box(5, 15, 5, 15)
CAR_A = _box(20, 30, 10, 30)
DOG_B = _box(2, 12, 30, 45)


def test_perfect_predictions_give_100():
    samples = [
        _sample('a', [(PERSON * 1000 + 1, PERSON_A), (CAR * 1000 + 1, CAR_A)],
                [(PERSON, PERSON_A, 0.9, 0.5), (CAR, CAR_A, 0.8, 0.7)]),
        _sample('b', [(DOG * 1000 + 1, DOG_B)], [(DOG, DOG_B, 0.3, 0.2)])
    ]
    result = _evaluate(samples)
    for suffix in ('', '_sem_x_ctr'):
        for iou in ('mask', 'bbox'):
            for name in ('AP', 'AP50', 'AP75', 'APs'):
                _check(result, f'{iou}_{name}{suffix}', 100.0)
            _check(result, f'{iou}_APm{suffix}', float('nan'))
            _check(result, f'{iou}_AP{suffix}_dog', 100.0)
            _check(result, f'{iou}_AP{suffix}_bicycle', float('nan'))


def test_false_positive_ranked_first_by_one_score_only():
    # one person; a false positive first by the semantic score (precision
    # 1/2 at recall 1 -> AP 50), last by semantic x center (AP 100)
    samples = [
        _sample('a', [(PERSON * 1000 + 1, PERSON_A)],
                [(PERSON, _box(25, 35, 30, 40), 0.9, 0.1),
                 (PERSON, PERSON_A, 0.8, 0.8)])
    ]
    result = _evaluate(samples)
    for iou in ('mask', 'bbox'):
        _check(result, f'{iou}_AP', 50.0)
        _check(result, f'{iou}_AP_person', 50.0)
        _check(result, f'{iou}_AP_sem_x_ctr', 100.0)


def _three_people():
    """3 people in 2 images; by the semantic score the detections are TP,
    FP, TP, TP: recall 1/3, 1/3, 2/3, 1 with precision 1, 1/2, 2/3, 3/4
    -> interpolated 1 up to recall 0.33 (34 of the 101 points), 3/4 on the
    other 67: AP = (34 + 67 * 3/4) / 101."""
    p2, p3 = _box(20, 30, 30, 45), _box(3, 13, 35, 48)
    return [
        _sample('a', [(PERSON * 1000 + 1, PERSON_A), (PERSON * 1000 + 2, p2)],
                [(PERSON, PERSON_A, 0.9, 0.9), (PERSON, p2, 0.5, 0.5),
                 (PERSON, _box(30, 38, 0, 8), 0.7, 0.05)]),
        _sample('b', [(PERSON * 1000 + 1, p3)], [(PERSON, p3, 0.6, 0.6)])
    ]


def test_interpolated_precision_of_three_instances():
    result = _evaluate(_three_people())
    expected = 100 * (34 + 67 * 0.75) / 101
    for iou in ('mask', 'bbox'):
        _check(result, f'{iou}_AP', expected)
        _check(result, f'{iou}_AP50', expected)
        _check(result, f'{iou}_AP_sem_x_ctr', 100.0)


def test_partial_overlap_counts_at_low_thresholds_only():
    # a 10x10 person predicted 2 columns to the right: IoU 80/120 = 0.667
    # (mask and box), a match at 0.5, 0.55, 0.6, 0.65 only: AP 40
    samples = [
        _sample('a', [(PERSON * 1000 + 1, PERSON_A)],
                [(PERSON, _box(5, 15, 7, 17), 0.9, 0.9)])
    ]
    result = _evaluate(samples)
    for iou in ('mask', 'bbox'):
        _check(result, f'{iou}_AP', 40.0)
        _check(result, f'{iou}_AP50', 100.0)
        _check(result, f'{iou}_AP75', 0.0)


def test_detection_on_a_crowd_region_is_ignored():
    # person crowd (instance 0): the top-scored detection on a third of it
    # is neither TP nor FP (COCO's crowd IoU: intersection / detection
    # area = 1). Were the crowd an ordinary instance, that detection would
    # be a false positive ranked first (IoU 1/3) and the crowd a false
    # negative.
    crowd = _box(20, 35, 5, 44)
    samples = [
        _sample('a', [(PERSON * 1000 + 1, PERSON_A), (PERSON * 1000, crowd)],
                [(PERSON, _box(20, 35, 5, 18), 0.95, 0.95),
                 (PERSON, PERSON_A, 0.8, 0.8)])
    ]
    result = _evaluate(samples)
    for iou in ('mask', 'bbox'):
        _check(result, f'{iou}_AP', 100.0)
        _check(result, f'{iou}_AP_sem_x_ctr', 100.0)


def _instances_json(path, samples, ids):
    """An official-style instance JSON of the samples' thing segments."""
    images, annotations = [], []
    for sample, image_id in zip(samples, ids):
        name = sample['img_path'].rsplit('/', 1)[1]
        images.append(dict(id=image_id, file_name=name, height=40, width=50))
        gt = sample['gt_panoptic_seg']['data'][0].numpy()
        for value in np.unique(gt):
            if value // 1000 not in TOY_META['thing_ids']:
                continue
            rle = encode_masks((gt == value)[None])[0]
            ys, xs = np.nonzero(gt == value)
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=TOY_META['label_ids'][value // 1000],
                    segmentation=rle,
                    area=int(len(ys)),
                    bbox=[
                        int(xs.min()),
                        int(ys.min()),
                        int(xs.max() - xs.min() + 1),
                        int(ys.max() - ys.min() + 1)
                    ],
                    iscrowd=int(value % 1000 == 0)))
    images.append(dict(id=999, file_name='other.jpg', height=40, width=50))
    categories = [dict(id=c, name=str(c)) for c in (1, 2, 3, 18, 90)]
    with open(path, 'w') as f:
        json.dump(
            dict(
                images=images, annotations=annotations, categories=categories),
            f)


def test_official_instance_json_is_matched_by_file_name(tmp_path):
    samples = _three_people()
    ann_file = str(tmp_path / 'instances_val.json')
    _instances_json(ann_file, samples, ids=(42, 7))
    result = _evaluate(samples, ann_file=ann_file)
    expected = 100 * (34 + 67 * 0.75) / 101
    _check(result, 'mask_AP', expected)
    _check(result, 'bbox_AP', expected)
    _check(result, 'mask_AP_sem_x_ctr', 100.0)

    unknown = [dict(samples[0], img_path='/data/val/zzz.jpg')]
    with pytest.raises(
            KeyError, match="image '/data/val/zzz.jpg' is not in the images"):
        _evaluate(unknown, ann_file=ann_file)
    meta = dict(TOY_META, label_ids=(187, 5, 149, 3, 125, 18, 2, 171, 184))
    metric = CocoInstanceMetric(ann_file=ann_file)
    metric.dataset_meta = meta
    metric.process({}, copy.deepcopy(samples))
    with pytest.raises(ValueError, match=r'category ids \[5\]'):
        metric.evaluate(len(samples))
    with pytest.raises(FileNotFoundError, match='instances JSON'):
        CocoInstanceMetric(ann_file=str(tmp_path / 'missing.json'))


def test_format_only_writes_detectron2_results(tmp_path):
    samples = _three_people()
    for s in samples:
        s.pop('gt_panoptic_seg')
    assert _evaluate(
        samples, format_only=True, outfile_prefix=str(tmp_path)) == {}
    with open(tmp_path / 'coco_instances_results_sem_x_ctr.json') as f:
        results = json.load(f)
    assert len(results) == 4
    assert {r['image_id'] for r in results} == {'a', 'b'}
    first = results[0]
    assert first['category_id'] == 1 and first['score'] == pytest.approx(0.9)
    assert first['bbox'] == [5.0, 5.0, 10.0, 10.0]
    assert (tmp_path / 'coco_instances_results.json').exists()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"unknown score_types \['center'\]"):
        CocoInstanceMetric(score_types=('center', ))
    with pytest.raises(ValueError, match=r'CocoInstanceMetric\(format_only'):
        CocoInstanceMetric(format_only=True)


def test_nested_file_names_of_the_same_base_name_keep_apart(tmp_path):
    """``cam1/0001.jpg`` and ``cam2/0001.jpg`` of an instances JSON are two
    images: each sample gets the id of the longest ``file_name`` that ends
    its path, not one id for both by base name."""
    samples = _three_people()
    samples[0]['img_path'] = '/data/val/cam1/0001.jpg'
    samples[1]['img_path'] = '/data/val/cam2/0001.jpg'
    ann_file = str(tmp_path / 'instances_val.json')
    _instances_json(ann_file, samples, ids=(42, 7))
    with open(ann_file) as f:
        ann = json.load(f)
    ann['images'][0]['file_name'] = 'cam1/0001.jpg'
    ann['images'][1]['file_name'] = 'cam2/0001.jpg'
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    metric = CocoInstanceMetric(ann_file=ann_file)
    assert [metric._image_id(s) for s in samples[:2]] == [42, 7]
    expected = 100 * (34 + 67 * 0.75) / 101  # as with flat names
    _check(_evaluate(samples, ann_file=ann_file), 'mask_AP', expected)
