"""Panoptic-evaluation task: mmpdl's metric vs cityscapesscripts.

The same ground truths and predictions (written as official
COCO-panoptic files by :func:`write_official`)
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

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.datasets.panoptic_export import write_panoptic_json
from mmpdl.evaluation import CityscapesPanopticMetric
from mmpdl.evaluation.functional.panoptic_writers import (panoptic_categories,
                                                          write_panoptic_png)
from .utils import children_peak_mib, make_row, measure

VOID = 255000


def make_pair(rng, height, width):
    """A random ground truth (train encoding) and a perturbed prediction.

    Returns:
        tuple[np.ndarray, np.ndarray]: (H, W) int64 each.
    """
    gt = np.zeros((height, width), dtype=np.int64)  # road
    bands = [(10, 0.25), (2, 0.5), (8, 0.6)]  # sky, building, vegetation
    top = 0
    for train_id, frac in bands:
        gt[top:int(frac * height)] = train_id * 1000
        top = int(frac * height)
    gt[-height // 12:] = VOID
    for k in range(1, int(rng.integers(10, 30))):
        h = int(rng.integers(height // 40, height // 5))
        w = int(rng.integers(width // 60, width // 8))
        y = int(rng.integers(0, height - h))
        x = int(rng.integers(0, width - w))
        gt[y:y + h, x:x + w] = int(rng.integers(11, 19)) * 1000 + k
    gt[height // 2:height // 2 + height // 20, :width // 10] = 13000  # crowd
    pred = gt.copy()
    pred[pred == VOID] = 0
    for value in np.unique(gt):
        if value // 1000 >= 11 and value % 1000 and rng.random() < 0.5:
            mask = gt == value
            pred[mask] = 0
            dy, dx = rng.integers(-15, 16, size=2)
            pred[np.roll(np.roll(mask, dy, 0), dx, 1)] = value
    return gt, pred


def write_official(maps, folder, meta, crowd):
    """Write maps as COCO-panoptic PNGs + JSON; return the JSON path.

    Args:
        maps (Sequence[np.ndarray]): (H, W) int64 maps, mmpdl encoding.
        folder (str): Gets ``panoptic.json`` and ``panoptic/*.png``.
        meta (dict): Dataset metadata (``classes``, ``label_ids``,
            ``thing_ids``, ``label_divisor``, ``ignore_index``).
        crowd (bool): Mark thing segments without instance id as crowd
            (ground truth).
    """
    annotations = []
    divisor = meta['label_divisor']
    thing_label_ids = {meta['label_ids'][i] for i in meta['thing_ids']}
    for i, pan in enumerate(maps):
        ann = write_panoptic_png(pan, f'bench_000000_{i:06d}',
                                 f'bench_{i:06d}.png',
                                 osp.join(folder,
                                          'panoptic'), meta['label_ids'],
                                 divisor, meta['ignore_index'])
        for seg in ann['segments_info']:
            seg['iscrowd'] = int(crowd and seg['id'] < divisor
                                 and seg['id'] in thing_label_ids)
        annotations.append(ann)
    json_path = osp.join(folder, 'panoptic.json')
    write_panoptic_json(
        json_path, annotations,
        panoptic_categories(meta['classes'], meta['label_ids'],
                            meta['thing_ids']))
    return json_path


def metric_runner(metric, meta: dict, samples: list):
    """A call that evaluates ``samples`` with ``metric`` from scratch.

    Args:
        metric (BaseMetric): A panoptic metric.
        meta (dict): Its ``dataset_meta``.
        samples (list[dict]): Data samples with ``gt_panoptic_seg`` and
            ``pred_panoptic_seg`` ((1, H, W) int64).

    Returns:
        Callable[[], dict]: Runs ``process`` per sample, then
        ``compute_metrics``; returns the metrics.
    """
    metric.dataset_meta = meta

    def evaluate():
        metric.results.clear()
        for sample in samples:
            metric.process({}, [sample])
        with contextlib.redirect_stdout(io.StringIO()):
            return metric.compute_metrics(metric.results)

    return evaluate


# What the forked workers of :func:`ranked_metric_runner` evaluate
# (inherited through fork, not pickled).
_RANK_WORK = {}


def _process_rank_share(rank: int) -> list:
    """``process`` on the samples of one rank; returns its results."""
    metric, samples, ranks = (
        _RANK_WORK[key] for key in ('metric', 'samples', 'ranks'))
    metric.results.clear()
    for sample in samples[rank::ranks]:
        metric.process({}, [sample])
    return list(metric.results)


@contextlib.contextmanager
def ranked_metric_runner(metric, meta: dict, samples: list, ranks: int):
    """:func:`metric_runner` with ``process`` split over ``ranks`` processes.

    As the ranks of ``tools/dist_test.sh`` do, each of ``ranks`` worker
    processes runs ``process`` on every ``ranks``-th sample (mmengine's
    ``DefaultSampler`` split); this process gathers their results in sample
    order (mmengine's ``collect_results``) and runs ``compute_metrics``.
    Like ranks, the workers exist before the evaluation and hold their
    samples (forked once, when the context is entered), so a timed call
    covers the evaluation only.

    Yields:
        Callable[[], dict]: The evaluation; returns the metrics.
    """
    metric.dataset_meta = meta
    _RANK_WORK.update(metric=metric, samples=samples, ranks=ranks)
    with multiprocessing.get_context('fork').Pool(ranks) as pool:

        def evaluate():
            shares = pool.map(_process_rank_share, range(ranks))
            results = [
                shares[i % ranks][i // ranks] for i in range(len(samples))
            ]
            with contextlib.redirect_stdout(io.StringIO()):
                return metric.compute_metrics(results)

        yield evaluate
    _RANK_WORK.clear()


def official_evaluation(tmp: str, gt_json: str, pred_json: str) -> dict:
    """cityscapesscripts' ``evaluatePanoptic`` (its ``pq_compute``) on the
    files :func:`write_official` wrote under ``tmp/gt`` and ``tmp/pred``.

    Returns:
        dict: Its results (``All``/``Things``/``Stuff``, ``per_class``).
    """
    from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
        evaluatePanoptic
    with contextlib.redirect_stdout(io.StringIO()):
        return evaluatePanoptic(gt_json, osp.join(tmp, 'gt', 'panoptic'),
                                pred_json, osp.join(tmp, 'pred', 'panoptic'),
                                osp.join(tmp, 'results.json'))


def run_panoptic_eval(num_images: int, height: int, width: int, warmup: int,
                      repeats: int) -> List:
    """PQ of ``num_images`` predictions: ours vs ``evaluatePanoptic``.

    Ours runs ``process`` + ``compute_metrics`` on in-memory (1, H, W) int64
    maps in this process; the official reads the PNG files in
    ``multiprocessing.cpu_count()`` worker processes.

    Returns:
        list[dict]: One row.
    """
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
    evaluate = metric_runner(CityscapesPanopticMetric(), meta, samples)
    ours = measure(lambda: evaluate()['PQ'], 'cpu', warmup, repeats)
    with tempfile.TemporaryDirectory() as tmp:
        gt_json = write_official(gts, osp.join(tmp, 'gt'), meta, True)
        pred_json = write_official(preds, osp.join(tmp, 'pred'), meta, False)
        del gts, preds
        theirs = measure(
            lambda: 100 * official_evaluation(tmp, gt_json, pred_json)['All'][
                'pq'], 'cpu', warmup, repeats)
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
