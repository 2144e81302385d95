"""COCO panoptic-evaluation task: ``PanopticQualityMetric`` vs
cityscapesscripts' ``pq_compute`` (``evaluatePanoptic``) on COCO-size
images with a COCO-like class list.

The class list has COCO's shape: 133 categories, 80 things with ids in
1..90 and 53 stuff with ids in 92..200 (both with gaps). Each image
(default 480x640, COCO's typical size) has 8-12 stuff regions, 15-40 thing
instances (rectangles and ellipses), a crowd region and void seams; the
prediction shifts, drops, relabels and merges some of them. The same maps go
to both sides: as tensors to ours, as COCO-panoptic PNGs + JSON (written by
:func:`.metrics_task.write_official`) to the official evaluation.
Each side runs in one process and with one process per CPU (the official
as shipped; ours split as the ranks of ``dist_test.sh`` split it).
PQ, SQ and RQ of every class must agree to 1e-9 before anything is timed.
"""
import contextlib
import io
import json
import multiprocessing
import os.path as osp
import tempfile
from typing import List

import numpy as np
import torch

from mmpdl.evaluation import PanopticQualityMetric
from .metrics_task import (metric_runner, official_evaluation,
                           ranked_metric_runner, write_official)
from .utils import children_peak_mib, make_row, measure_alternating

DIVISOR, IGNORE = 1000, 255


def coco_like_meta(seed: int = 0) -> dict:
    """Metadata of 133 classes (80 things), non-contiguous category ids.

    Returns:
        dict: ``classes``, ``label_ids``, ``thing_ids``, ``stuff_ids``,
        ``label_divisor``, ``ignore_index``.
    """
    rng = np.random.default_rng(seed)
    thing_ids = np.sort(rng.choice(np.arange(1, 91), 80, replace=False))
    stuff_ids = np.sort(rng.choice(np.arange(92, 201), 53, replace=False))
    label_ids = [int(i) for i in np.concatenate([thing_ids, stuff_ids])]
    return dict(
        classes=tuple(f'class_{i}' for i in label_ids),
        label_ids=label_ids,
        thing_ids=list(range(80)),
        stuff_ids=list(range(80, 133)),
        label_divisor=DIVISOR,
        ignore_index=IGNORE)


def _ellipse(h: int, w: int) -> np.ndarray:
    """(h, w) bool mask of the ellipse inscribed in an h x w box."""
    rows, cols = np.ogrid[:h, :w]
    return (((rows + 0.5 - h / 2) / (h / 2))**2 + ((cols + 0.5 - w / 2) /
                                                   (w / 2))**2) <= 1


def make_coco_pair(rng, height: int, width: int):
    """A ground truth and a perturbed prediction (mmpdl encoding).

    Returns:
        tuple[np.ndarray, np.ndarray]: (H, W) int64 each.
    """
    gt = np.zeros((height, width), dtype=np.int64)
    stuff = rng.choice(np.arange(80, 133), int(rng.integers(8, 13)), False)
    cuts = np.sort(rng.integers(0, height, len(stuff) // 2))
    for top, cls in zip(np.append(0, cuts), stuff):  # bands, then patches
        gt[top:] = cls * DIVISOR
    for cls in stuff[len(cuts) + 1:]:
        h = int(rng.integers(height // 12, height // 2))
        w = int(rng.integers(width // 12, width // 2))
        y, x = int(rng.integers(0,
                                height - h)), int(rng.integers(0, width - w))
        gt[y:y + h, x:x + w] = cls * DIVISOR
    next_k = {}
    for _ in range(int(rng.integers(15, 41))):
        cls = int(rng.integers(0, 80))
        k = next_k.get(cls, 0) + 1
        next_k[cls] = k
        h, w = int(rng.integers(8, height // 3)), int(
            rng.integers(8, width // 3))
        y, x = int(rng.integers(0,
                                height - h)), int(rng.integers(0, width - w))
        box = gt[y:y + h, x:x + w]  # a view: painting it paints gt
        box[_ellipse(h, w) if rng.random() < 0.5 else ...] = cls * DIVISOR + k
    crowd = int(rng.integers(0, 80))
    gt[height // 2:height // 2 + height // 12,
       width // 3:width // 3 + width // 7] = crowd * DIVISOR
    void = IGNORE * DIVISOR
    gt[:, int(rng.integers(0, width)):][:, :3] = void  # void seams
    gt[int(rng.integers(0, height)):][:3] = void
    return gt, _perturb(gt, rng)


def _perturb(gt, rng):
    """Shift, drop, relabel or merge about half of the instances."""
    pred = gt.copy()
    pred[gt == IGNORE * DIVISOR] = pred[0, 0]
    things = [v for v in np.unique(gt) if v // DIVISOR < 80 and v % DIVISOR]
    for i, value in enumerate(things):
        mask = gt == value
        action = rng.random()
        if action < 0.3:
            dy, dx = rng.integers(-12, 13, size=2)
            pred[mask & (pred == value)] = pred[0, 0]
            pred[np.roll(np.roll(mask, dy, 0), dx, 1)] = value
        elif action < 0.4:
            pred[mask] = pred[0, 0]
        elif action < 0.5:
            pred[mask] = int(rng.integers(0, 80)) * DIVISOR + 900 + i % 99
        elif action < 0.6 and i:
            pred[mask] = things[i - 1]
    return pred


def official_single_process(tmp: str, gt_json: str, pred_json: str) -> dict:
    """cityscapesscripts' panoptic evaluation in this process: the pairing
    of ``evaluatePanoptic``, then its ``pq_compute_single_core`` on all
    images and ``average_pq`` (no worker processes).

    Returns:
        dict: The results ``evaluatePanoptic`` returns.
    """
    from cityscapesscripts.evaluation import \
        evalPanopticSemanticLabeling as official
    with open(gt_json) as f:
        gt = json.load(f)
    with open(pred_json) as f:
        pred = {a['image_id']: a for a in json.load(f)['annotations']}
    categories = {c['id']: c for c in gt['categories']}
    pairs = [(a, pred[a['image_id']]) for a in gt['annotations']]
    with contextlib.redirect_stdout(io.StringIO()):
        stat = official.pq_compute_single_core(
            0, pairs, osp.join(tmp, 'gt', 'panoptic'),
            osp.join(tmp, 'pred', 'panoptic'), categories)
    return official.average_pq(stat, categories)


def run_coco_panoptic_eval(num_images: int, height: int, width: int,
                           warmup: int, repeats: int) -> List:
    """PQ of ``num_images`` COCO-size predictions: ours vs ``pq_compute``.

    Ours runs ``process`` + ``compute_metrics`` on in-memory (1, H, W)
    int64 maps, in this process and, as ``dist_test.sh`` with one rank per
    CPU would, split over ``multiprocessing.cpu_count()`` worker processes
    started before the timing (:func:`ranked_metric_runner`). The official
    reads the PNG files, once as ``evaluatePanoptic`` ships (one worker
    process per CPU, started in each call) and once in this process only
    (:func:`official_single_process`). The four take turns.

    Returns:
        list[dict]: ours in 1 process vs the official with its workers and
        in 1 process; with several CPUs also ours vs the official, both
        with one process per CPU.
    """
    meta = coco_like_meta()
    rng = np.random.default_rng(0)
    gts, preds = zip(
        *[make_coco_pair(rng, height, width) for _ in range(num_images)])
    samples = [
        dict(
            img_path=f'{i:012d}.jpg',
            gt_panoptic_seg=dict(data=torch.from_numpy(g)[None]),
            pred_panoptic_seg=dict(data=torch.from_numpy(p)[None]))
        for i, (g, p) in enumerate(zip(gts, preds))
    ]
    procs = multiprocessing.cpu_count()
    sides = [metric_runner(PanopticQualityMetric(), meta, samples)]
    with contextlib.ExitStack() as stack:
        if procs > 1:
            sides.append(
                stack.enter_context(
                    ranked_metric_runner(PanopticQualityMetric(), meta,
                                         samples, procs)))
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        gt_json = write_official(gts, osp.join(tmp, 'gt'), meta, True)
        pred_json = write_official(preds, osp.join(tmp, 'pred'), meta, False)
        del gts, preds
        sides += [
            lambda: official_evaluation(tmp, gt_json, pred_json),
            lambda: official_single_process(tmp, gt_json, pred_json)
        ]
        measured = measure_alternating(sides, 'cpu', warmup, repeats)
    ours, theirs, single = measured[0], measured[-2], measured[-1]
    theirs['peak_mib'] = max(theirs['peak_mib'], children_peak_mib())
    theirs['peak_kind'] += ' / children ru_maxrss'
    pairings = [(ours, 1, theirs, 'pq_compute', procs, ''),
                (ours, 1, single, 'pq_compute, 1 process', 1,
                 ', official in 1 process')]
    if procs > 1:
        pairings.append((measured[1], procs, theirs, 'pq_compute', procs,
                         f', both in {procs} processes'))
    rows = []
    for mine, n_ours, other, name, n_theirs, note in pairings:
        worst = max(
            _largest_difference(mine['output'], other['output'], meta),
            _largest_difference(mine['output'], single['output'], meta))
        pq_ours = mine['output']['PQ']
        pq_theirs = 100 * other['output']['All']['pq']
        rows.append(
            make_row(
                f'COCO panoptic eval ({num_images} imgs{note})',
                mine,
                other,
                name,
                worst < 1e-9, f'PQ {pq_ours:.4f} vs {pq_theirs:.4f}, per '
                f'class max diff {worst:.1e}; procs {n_ours} vs {n_theirs}',
                pq_ours=pq_ours,
                pq_official=pq_theirs,
                max_abs_diff=worst,
                processes_ours=n_ours,
                processes_official=n_theirs,
                size=[height, width]))
    return rows


def _largest_difference(ours: dict, theirs: dict, meta: dict) -> float:
    """Largest |ours - official| over PQ/SQ/RQ of every class and group
    (fractions; a class absent from both sides is NaN in ours, 0 there)."""
    diffs = []
    for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff', '_st')):
        for key in ('pq', 'sq', 'rq'):
            diffs.append(ours[key.upper() + suffix] / 100 - theirs[group][key])
    for name, label_id in zip(meta['classes'], meta['label_ids']):
        for key in ('pq', 'sq', 'rq'):
            value = ours[f'{key.upper()}_{name}'] / 100
            diffs.append((0.0 if np.isnan(value) else value) -
                         theirs['per_class'][label_id][key])
    return float(np.max(np.abs(diffs)))
