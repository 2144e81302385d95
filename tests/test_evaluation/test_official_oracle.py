"""Our metrics vs the official cityscapesscripts evaluators on the same data.

Ground truth: tiny official-format Cityscapes written by ``oracle_data``;
predictions: perturbed ground truth. Our numbers come from the in-memory
metric; the official ones from the files our ``outfile_prefix`` writer made.
"""
import copy
import glob
import json
import math
import os
import os.path as osp

import numpy as np
import pytest
import torch
from cityscapesscripts.evaluation import (evalInstanceLevelSemanticLabeling,
                                          evalPixelLevelSemanticLabeling)
from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
    evaluatePanoptic
from mmseg.evaluation import IoUMetric

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.evaluation import CityscapesInstanceMetric, CityscapesPanopticMetric
from .oracle_data import make_samples

TOL = 1e-9


def _run(metric, samples):
    metric.dataset_meta = dict(CITYSCAPES_META)
    metric.process({}, copy.deepcopy(samples))
    return metric.evaluate(len(samples))


@pytest.fixture(scope='module')
def oracle(tmp_path_factory):
    """Run ours and the official evaluators once for all tests."""
    root = str(tmp_path_factory.mktemp('cityscapes'))
    names, samples = make_samples(root)
    out = osp.join(root, 'results')
    panoptic = _run(CityscapesPanopticMetric(outfile_prefix=out), samples)
    instance = _run(CityscapesInstanceMetric(outfile_prefix=out), samples)
    semantic = _run(IoUMetric(iou_metrics=['mIoU']), samples)

    gt_dir = osp.join(root, 'gtFine')
    cwd = os.getcwd()
    os.chdir(root)  # the official scripts write files into the cwd
    patch = pytest.MonkeyPatch()
    if not hasattr(np, 'in1d'):  # removed in numpy 2.4, used officially
        patch.setattr(
            np, 'in1d', lambda a, b: np.isin(a, b).ravel(), raising=False)
    # its JSON dump of intermediate matches fails on numpy 2 scalars
    patch.setattr(evalInstanceLevelSemanticLabeling, 'writeDict2JSON',
                  _write_json_numpy_aware)
    try:
        official_pan = evaluatePanoptic(
            osp.join(gt_dir, 'cityscapes_panoptic_val.json'),
            osp.join(gt_dir, 'cityscapes_panoptic_val'),
            osp.join(out, 'panoptic.json'), osp.join(out, 'panoptic'),
            osp.join(root, 'pq.json'))
        gt_inst = sorted(
            glob.glob(
                osp.join(gt_dir, 'val', '*', '*_gtFine_'
                         'instanceIds.png')))
        official_inst = {
            folder: _official_instance(gt_inst, osp.join(out, folder), root)
            for folder in ('instance_sem', 'instance_sem_x_ctr')
        }
        official_sem = _official_pixel(
            [p.replace('instanceIds', 'labelIds') for p in gt_inst],
            osp.join(out, 'semantic'))
    finally:
        os.chdir(cwd)
        patch.undo()
    return dict(
        samples=samples,
        panoptic=panoptic,
        instance=instance,
        semantic=semantic,
        official_pan=official_pan,
        official_inst=official_inst,
        official_sem=official_sem)


def _write_json_numpy_aware(data, path):
    with open(path, 'w') as f:
        json.dump(
            data,
            f,
            default=lambda o: o.item()
            if isinstance(o, np.generic) else o.__dict__)


def _official_instance(gt_files, pred_dir, root):
    args = evalInstanceLevelSemanticLabeling.args
    args.predictionPath = osp.abspath(pred_dir)
    args.predictionWalk = None
    args.gtInstancesFile = osp.join(root, 'gtInstances.json')
    args.JSONOutput = False
    args.quiet = True
    preds = [
        evalInstanceLevelSemanticLabeling.getPrediction(gt, args)
        for gt in gt_files
    ]
    return evalInstanceLevelSemanticLabeling.evaluateImgLists(
        preds, gt_files, args)['averages']


def _official_pixel(gt_files, pred_dir):
    module = evalPixelLevelSemanticLabeling
    args = module.args
    args.predictionPath = osp.abspath(pred_dir)
    args.predictionWalk = None
    args.JSONOutput = False
    args.quiet = True
    preds = [module.getPrediction(args, gt) for gt in gt_files]
    return module.evaluateImgLists(preds, gt_files, args)


def test_panoptic_equals_official(oracle):
    ours, theirs = oracle['panoptic'], oracle['official_pan']
    prefix = 'cityscapes_panoptic/'
    for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff', '_st')):
        for key in ('pq', 'sq', 'rq'):
            assert abs(ours[prefix + key.upper() + suffix] / 100 -
                       theirs[group][key]) < TOL, (group, key)
    meta = dict(CITYSCAPES_META)
    absent = 0
    for train_id, label_id in enumerate(meta['label_ids']):
        name = meta['classes'][train_id]
        official = theirs['per_class'][label_id]
        for key in ('pq', 'sq', 'rq'):
            value = ours[f'{prefix}{key.upper()}_{name}']
            if math.isnan(value):
                # absent from gt and prediction: officially 0.0 and not
                # counted in n
                assert official[key] == 0.0
                absent += key == 'pq'
            else:
                assert abs(value / 100 - official[key]) < TOL, (name, key)
    assert absent == 19 - theirs['All']['n'] > 0
    # the perturbations must produce both matches and errors
    assert 0 < theirs['Things']['pq'] < 1 and 0 < theirs['Stuff']['pq'] < 1
    # 'train' is only predicted (absent from GT): counted, PQ 0
    assert ours[prefix + 'PQ_train'] == 0.0


@pytest.mark.parametrize('folder,suffix',
                         [('instance_sem', ''),
                          ('instance_sem_x_ctr', '_sem_x_ctr')])
def test_instance_ap_equals_official(oracle, folder, suffix):
    ours, theirs = oracle['instance'], oracle['official_inst'][folder]
    prefix = 'cityscapes_instance/'
    assert abs(ours[f'{prefix}AP{suffix}'] / 100 - theirs['allAp']) < TOL
    assert abs(ours[f'{prefix}AP50{suffix}'] / 100 - theirs['allAp50%']) < TOL
    nan_classes = 0
    for name, official in theirs['classes'].items():
        for ours_key, key in ((f'AP{suffix}_{name}', 'ap'),
                              (f'AP50{suffix}_{name}', 'ap50%')):
            value = ours[prefix + ours_key] / 100
            if math.isnan(official[key]):
                assert math.isnan(value), name
                nan_classes += 1
            else:
                assert abs(value - official[key]) < TOL, (name, key)
    assert nan_classes > 0  # 'train' has no ground truth
    assert 0 < theirs['allAp'] < 1


def test_miou_equals_official_pixel_eval(oracle):
    """mmseg's IoUMetric on train ids equals the label-id pixel evaluation.

    ``evalPixelLevelSemanticLabeling`` ignores ground-truth pixels of
    ``ignoreInEval`` labels (our 255) and averages the IoU of the 19
    evaluated classes, skipping NaN -- as IoUMetric's ``nanmean`` does.
    IoUMetric rounds mIoU to 2 decimals (percent, float32), so it is
    compared to 1e-4 and each unrounded class IoU to 1e-9.
    """
    theirs = oracle['official_sem']
    ours = oracle['semantic']['mIoU']
    assert ours == pytest.approx(
        np.round(theirs['averageScoreClasses'] * 100, 2), abs=1e-4)
    # unrounded, per class, from IoUMetric's own statistics
    meta = dict(CITYSCAPES_META)
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = meta
    metric.process({}, copy.deepcopy(oracle['samples']))
    results = tuple(zip(*metric.results))
    inter, union = (sum(results[i]) for i in (0, 1))
    iou = (inter.double() / union.double()).numpy()
    for train_id, name in enumerate(meta['classes']):
        official = theirs['classScores'][name]
        if math.isnan(official):
            assert np.isnan(iou[train_id])
        else:
            assert abs(iou[train_id] - official) < TOL, name


def test_format_only_writes_and_returns_nothing(oracle, tmp_path):
    samples = oracle['samples'][:2]
    for cls in (CityscapesPanopticMetric, CityscapesInstanceMetric):
        metric = cls(format_only=True, outfile_prefix=str(tmp_path))
        # format_only must not need the ground truth
        no_gt = [{
            k: v
            for k, v in s.items() if not k.startswith('gt_')
        } for s in samples]
        assert _run(metric, no_gt) == {}
    assert len(os.listdir(tmp_path / 'panoptic')) == 2
    assert len(os.listdir(tmp_path / 'semantic')) == 2
    assert (tmp_path / 'panoptic.json').exists()
    txt = sorted(glob.glob(str(tmp_path / 'instance_sem' / '*.txt')))
    assert len(txt) == 2
    with open(txt[0]) as f:
        first = f.readline().split(' ')
    assert first[0].startswith('masks/') and int(
        first[1]) in (24, 25, 26, 27, 28, 31, 32, 33)
    assert torch.isfinite(torch.tensor(float(first[2])))
