"""PanopticQualityMetric on the built-in COCO-format data equals
cityscapesscripts' official panoptic evaluation, per class, to 1e-9.

The ground truth is the generator's JSON + PNGs, decoded by
CocoPanopticDataset + LoadPanopticAnnotations; the predictions perturb it
(shifted maps, a thing given another class, merged instances, a stuff class
swapped, a void hole); the metric writes them as COCO-panoptic results and
the official script reads those files against the ground-truth files.
"""
import math
import os
import os.path as osp

import numpy as np
import pytest
import torch
from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
    evaluatePanoptic

from mmpdl.datasets import CocoPanopticDataset, make_synthetic_coco_panoptic
from mmpdl.datasets.transforms import LoadPanopticAnnotations
from mmpdl.evaluation import PanopticQualityMetric

ANN = 'annotations/panoptic_val.json'
PNG_DIR = 'annotations/panoptic_val'
VOID = 255000
THINGS, STUFF = (0, 1, 2, 3), (4, 5, 6, 7, 8)
TOL = 1e-9


def _perturb(gt, index, rng):
    """A prediction (mmpdl encoding) made from the ground truth."""
    pred = np.roll(gt, tuple(rng.integers(-3, 4, 2)), axis=(0, 1))
    instances = [
        v for v in np.unique(pred) if v // 1000 in THINGS and v % 1000
    ]
    if index % 3 == 0 and instances:  # a thing predicted as another class
        cls = instances[0] // 1000
        pred[pred == instances[0]] = THINGS[(cls + 1) % 4] * 1000 + 100
    if index % 3 == 1 and len(instances) >= 2:  # two instances merged
        pred[pred == instances[1]] = instances[0]
    if index % 2 == 0:  # a stuff class predicted as the next one
        present = [c for c in STUFF if (pred // 1000 == c).any()]
        swapped = present[index % len(present)]
        pred[pred //
             1000 == swapped] = (STUFF[(STUFF.index(swapped) + 1) % 5]) * 1000
    h, w = pred.shape
    y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
    pred[y:y + h // 4, x:x + w // 4] = VOID
    return pred


@pytest.fixture(scope='module')
def evaluated(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic_coco_pq'))
    make_synthetic_coco_panoptic(root, 1, 6, size=(96, 128), seed=2)
    dataset = CocoPanopticDataset(
        data_root=root,
        ann_file=ANN,
        data_prefix=dict(img_path='val', seg_map_path=PNG_DIR),
        pipeline=[LoadPanopticAnnotations()])
    rng = np.random.default_rng(0)
    samples = []
    for index in range(len(dataset)):
        results = dataset[index]
        gt = results['gt_panoptic_seg'].astype(np.int64)
        samples.append(
            dict(
                img_path=results['img_path'],
                image_id=results['image_id'],
                pan_map_path=results['pan_map_path'],
                gt_panoptic_seg=dict(data=torch.from_numpy(gt)[None]),
                pred_panoptic_seg=dict(
                    data=torch.from_numpy(_perturb(gt, index, rng))[None])))
    out = osp.join(root, 'results')
    metric = PanopticQualityMetric(outfile_prefix=out, split='val')
    metric.dataset_meta = dataset.metainfo
    metric.process({}, samples)
    ours = metric.evaluate(len(samples))
    cwd = os.getcwd()
    os.chdir(root)  # the official script writes into the working folder
    try:
        official = evaluatePanoptic(
            osp.join(root, ANN), osp.join(root, PNG_DIR),
            osp.join(out, 'panoptic_val_results.json'),
            osp.join(out, 'panoptic_val_results'), osp.join(root, 'pq.json'))
    finally:
        os.chdir(cwd)
    return dataset.metainfo, ours, official


def test_pq_equals_the_official_evaluation_per_class(evaluated):
    meta, ours, official = evaluated
    for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff', '_st')):
        for key in ('pq', 'sq', 'rq'):
            assert abs(ours[f'panoptic/{key.upper()}{suffix}'] / 100 -
                       official[group][key]) < TOL, (group, key)
    for name, label_id in zip(meta['classes'], meta['label_ids']):
        theirs = official['per_class'][label_id]
        for key in ('pq', 'sq', 'rq'):
            value = ours[f'panoptic/{key.upper()}_{name}']
            if math.isnan(value):  # in neither: officially 0, not counted
                assert theirs[key] == 0.0, name
            else:
                assert abs(value / 100 - theirs[key]) < TOL, (name, key)
    # the perturbations give matches and errors among things and stuff
    for group in ('Things', 'Stuff'):
        assert 0 < official[group]['pq'] < 1
        assert 0 < official[group]['rq'] < 1
    assert official['All']['n'] == 9
