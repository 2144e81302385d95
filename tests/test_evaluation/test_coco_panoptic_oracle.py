"""PanopticQualityMetric vs cityscapesscripts' ``pq_compute`` on COCO data.

The ground truth is a tiny COCO-panoptic dataset with nine classes (four
things) and non-contiguous category ids (``coco_oracle_data``); the official
evaluation reads it and the prediction files our ``outfile_prefix`` writer
made, so the writer's format is checked too.
"""
import copy
import json
import math
import os
import os.path as osp

import numpy as np
import pytest
import torch
from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
    evaluatePanoptic
from mmcv.transforms import LoadImageFromFile
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from PIL import Image

from mmpdl.datasets import CocoPanopticDataset, make_synthetic_coco_panoptic
from mmpdl.datasets.transforms import (LoadPanopticAnnotations,
                                       PackPanopticInputs)
from mmpdl.evaluation import PanopticQualityMetric
from mmpdl.structures.panoptic_ids import rgb_to_id
from .coco_oracle_data import LABEL_IDS, TOY_META, make_coco_samples, perturb

TOL = 1e-9


@pytest.fixture(scope='module')
def oracle(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('coco'))
    samples = make_coco_samples(root)
    out = osp.join(root, 'results')
    metric = PanopticQualityMetric(outfile_prefix=out)
    metric.dataset_meta = dict(TOY_META)
    metric.process({}, copy.deepcopy(samples))
    ours = metric.evaluate(len(samples))
    cwd = os.getcwd()
    os.chdir(root)
    try:
        official = evaluatePanoptic(
            osp.join(root,
                     'panoptic_val.json'), osp.join(root, 'panoptic_val'),
            osp.join(out, 'panoptic_val2017_results.json'),
            osp.join(out, 'panoptic_val2017_results'),
            osp.join(root, 'pq.json'))
    finally:
        os.chdir(cwd)
    return dict(samples=samples, ours=ours, official=official, out=out)


def test_pq_equals_official_per_class(oracle):
    ours, theirs = oracle['ours'], oracle['official']
    for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff', '_st')):
        for key in ('pq', 'sq', 'rq'):
            assert abs(ours[f'panoptic/{key.upper()}{suffix}'] / 100 -
                       theirs[group][key]) < TOL, (group, key)
    absent = []
    for name, label_id in zip(TOY_META['classes'], LABEL_IDS):
        official = theirs['per_class'][label_id]
        for key in ('pq', 'sq', 'rq'):
            value = ours[f'panoptic/{key.upper()}_{name}']
            if math.isnan(value):  # officially 0.0 and not counted
                assert official[key] == 0.0, name
                absent.append(name)
            else:
                assert abs(value / 100 - official[key]) < TOL, (name, key)
    assert set(absent) == {'grass'}
    assert theirs['All']['n'] == 8
    assert ours['panoptic/PQ_wall'] == 0.0  # only predicted
    # the perturbations must produce matches and errors in both groups
    assert 0 < theirs['Things']['pq'] < 1 and 0 < theirs['Stuff']['pq'] < 1
    assert 0 < theirs['Things']['rq'] < 1


def test_results_are_coco_submission_files(oracle):
    out = oracle['out']
    with open(osp.join(out, 'panoptic_val2017_results.json')) as f:
        results = json.load(f)
    assert [c['id'] for c in results['categories']] == list(LABEL_IDS)
    assert [c['isthing']
            for c in results['categories']] == [0, 1, 0, 1, 0, 1, 1, 0, 0]
    sample = oracle['samples'][1]
    ann = results['annotations'][1]
    assert ann['image_id'] == sample['image_id']
    assert ann['file_name'] == osp.basename(sample['pan_map_path'])
    png = rgb_to_id(
        np.asarray(
            Image.open(
                osp.join(out, 'panoptic_val2017_results', ann['file_name']))))
    pred = sample['pred_panoptic_seg']['data'][0].numpy()
    # every segment of the prediction is one PNG id with its category id
    for seg in ann['segments_info']:
        values = np.unique(pred[png == seg['id']])
        assert len(values) == 1
        assert LABEL_IDS[values[0] // 1000] == seg['category_id']
        assert seg['area'] == (png == seg['id']).sum()
    assert ((png == 0) == (pred == 255000)).all()


def test_format_only_needs_no_ground_truth(oracle, tmp_path):
    no_gt = [{
        k: v
        for k, v in s.items() if not k.startswith('gt_')
    } for s in oracle['samples'][:2]]
    metric = PanopticQualityMetric(
        format_only=True, outfile_prefix=str(tmp_path), split='test-dev2017')
    metric.dataset_meta = dict(TOY_META)
    metric.process({}, no_gt)
    assert metric.evaluate(2) == {}
    assert len(os.listdir(tmp_path / 'panoptic_test-dev2017_results')) == 2
    assert (tmp_path / 'panoptic_test-dev2017_results.json').exists()


def test_category_id_zero_is_refused(oracle, tmp_path):
    metric = PanopticQualityMetric(outfile_prefix=str(tmp_path))
    metric.dataset_meta = dict(TOY_META, label_ids=(0, ) + LABEL_IDS[1:])
    with pytest.raises(ValueError, match='0 means void'):
        metric.process({}, copy.deepcopy(oracle['samples'][:1]))


def test_miou_of_nine_classes_from_dataset_meta(oracle):
    """mmseg's IoUMetric takes its classes from the 9-class dataset_meta;
    its per-class IoU equals a numpy confusion matrix of the same maps."""
    samples, inter, union = [], np.zeros(9), np.zeros(9)
    for sample in oracle['samples']:
        maps = [
            sample[key]['data'][0].numpy()
            for key in ('gt_panoptic_seg', 'pred_panoptic_seg')
        ]
        gt, pred = (np.where(m == 255000, 255, m // 1000) for m in maps)
        samples.append(
            dict(
                gt_sem_seg=dict(data=torch.from_numpy(gt)[None]),
                pred_sem_seg=dict(data=torch.from_numpy(pred)[None])))
        valid = gt != 255
        for c in range(9):
            inter[c] += ((gt == c) & (pred == c) & valid).sum()
            union[c] += (((gt == c) | (pred == c)) & valid).sum()
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(TOY_META)
    metric.process({}, samples)
    results = tuple(zip(*metric.results))
    ours = metric.evaluate(len(samples))
    with np.errstate(invalid='ignore'):
        iou = inter / union
    assert np.isnan(iou[TOY_META['classes'].index('grass')])
    assert ours['mIoU'] == pytest.approx(
        np.round(np.nanmean(iou) * 100, 2), abs=1e-4)
    theirs = (sum(results[0]).double() / sum(results[1]).double()).numpy()
    np.testing.assert_allclose(theirs, iou, rtol=0, atol=1e-12)


def test_builtin_coco_dataset_pq_equals_official(tmp_path):
    """The built-in COCO-format dataset, read by CocoPanopticDataset, with
    perturbed ground truth as prediction: equal per class to 1e-9."""
    root = str(tmp_path / 'data')
    make_synthetic_coco_panoptic(
        root, num_train=1, num_val=6, size=(96, 128), seed=3)
    dataset = CocoPanopticDataset(
        data_root=root,
        ann_file='annotations/panoptic_val.json',
        data_prefix=dict(
            img_path='val', seg_map_path='annotations/panoptic_val'),
        pipeline=[
            LoadImageFromFile(),
            LoadPanopticAnnotations(),
            PackPanopticInputs()
        ],
        test_mode=True)
    meta = dataset.metainfo
    assert meta['label_ids'] == [1, 3, 7, 12, 15, 23, 40, 57, 90]
    train = {name: i for i, name in enumerate(meta['classes'])}
    roles = dict(
        background=train['road'],
        crowd=train['person'],
        other_thing=train['bus'],
        extra_stuff=train['tree'])
    rng = np.random.default_rng(0)
    samples = []
    for index in range(len(dataset)):
        sample = dataset.get_data_info(index)
        sample = dataset.pipeline(sample)['data_samples']
        gt = sample.gt_panoptic_seg.data[0].numpy().astype(np.int64)
        pred = perturb(gt, index, rng, meta['thing_ids'], roles)
        sample.pred_panoptic_seg = PixelData(data=torch.from_numpy(pred)[None])
        samples.append(sample)
    out = str(tmp_path / 'results')
    metric = PanopticQualityMetric(outfile_prefix=out)
    metric.dataset_meta = meta
    metric.process({}, samples)
    ours = metric.evaluate(len(samples))
    cwd = os.getcwd()
    os.chdir(str(tmp_path))
    try:
        theirs = evaluatePanoptic(
            osp.join(root, 'annotations', 'panoptic_val.json'),
            osp.join(root, 'annotations', 'panoptic_val'),
            osp.join(out, 'panoptic_val2017_results.json'),
            osp.join(out, 'panoptic_val2017_results'),
            str(tmp_path / 'pq.json'))
    finally:
        os.chdir(cwd)
    for name, label_id in zip(meta['classes'], meta['label_ids']):
        for key in ('pq', 'sq', 'rq'):
            value = ours[f'panoptic/{key.upper()}_{name}']
            official = theirs['per_class'][label_id][key]
            if math.isnan(value):
                assert official == 0.0
            else:
                assert abs(value / 100 - official) < TOL, (name, key)
    for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff', '_st')):
        assert abs(ours[f'panoptic/PQ{suffix}'] / 100 -
                   theirs[group]['pq']) < TOL
    assert 0 < theirs['Things']['pq'] < 1 and 0 < theirs['Stuff']['pq'] < 1
