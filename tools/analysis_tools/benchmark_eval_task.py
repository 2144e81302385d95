"""Panoptic-evaluation task: mmpdl's metric vs cityscapesscripts.

The same ground truths and predictions (made and written as official
COCO-panoptic files by ``benchmark_metrics.py``, the metric's own benchmark)
go to ``evalPanopticSemanticLabeling.evaluatePanoptic`` and, as tensors, to
``CityscapesPanopticMetric``; the two PQ values must be identical.
"""
import contextlib
import io
import multiprocessing
import os.path as osp
import tempfile
from typing import List

import numpy as np
import torch
from benchmark_metrics import make_pair, write_official
from benchmark_utils import children_peak_mib, make_row, measure


def _official_pq(tmp: str, gt_json: str, pred_json: str) -> float:
    from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
        evaluatePanoptic
    with contextlib.redirect_stdout(io.StringIO()):
        results = evaluatePanoptic(gt_json, osp.join(tmp, 'gt',
                                                     'panoptic'), pred_json,
                                   osp.join(tmp, 'pred', 'panoptic'),
                                   osp.join(tmp, 'results.json'))
    return 100 * results['All']['pq']


def run_panoptic_eval(num_images: int, height: int, width: int, warmup: int,
                      repeats: int) -> List:
    """PQ of ``num_images`` predictions: ours vs ``evaluatePanoptic``.

    Ours runs ``process`` + ``compute_metrics`` on in-memory (1, H, W) int64
    maps in this process; the official reads the PNG files in
    ``multiprocessing.cpu_count()`` worker processes.

    Returns:
        list[dict]: One row.
    """
    from mmpdl.datasets import CITYSCAPES_META
    from mmpdl.evaluation.metrics import CityscapesPanopticMetric
    meta = dict(CITYSCAPES_META)
    rng = np.random.default_rng(0)
    gts, preds = zip(
        *[make_pair(rng, height, width) for _ in range(num_images)])
    samples = [
        dict(
            gt_panoptic_seg=dict(data=torch.from_numpy(g)[None]),
            pred_panoptic_seg=dict(data=torch.from_numpy(p)[None]))
        for g, p in zip(gts, preds)
    ]
    metric = CityscapesPanopticMetric()
    metric.dataset_meta = meta

    def ours_fn():
        metric.results.clear()
        for sample in samples:
            metric.process({}, [sample])
        with contextlib.redirect_stdout(io.StringIO()):
            return metric.compute_metrics(metric.results)['PQ']

    ours = measure(ours_fn, 'cpu', warmup, repeats)
    with tempfile.TemporaryDirectory() as tmp:
        gt_json = write_official(gts, osp.join(tmp, 'gt'), meta, True)
        pred_json = write_official(preds, osp.join(tmp, 'pred'), meta, False)
        del gts, preds
        theirs = measure(lambda: _official_pq(tmp, gt_json, pred_json), 'cpu',
                         warmup, repeats)
    theirs['peak_mib'] = max(theirs['peak_mib'], children_peak_mib())
    theirs['peak_kind'] += ' / children ru_maxrss'
    pq_ours, pq_theirs = ours['output'], theirs['output']
    equal = abs(pq_ours - pq_theirs) < 1e-6
    return [
        make_row(
            f'panoptic eval ({num_images} imgs)',
            ours,
            theirs,
            'evaluatePanoptic',
            equal, f'PQ {pq_ours:.4f} vs {pq_theirs:.4f}; '
            f'procs 1 vs {multiprocessing.cpu_count()}',
            pq_ours=pq_ours,
            pq_official=pq_theirs,
            processes_ours=1,
            processes_official=multiprocessing.cpu_count(),
            size=[height, width])
    ]
