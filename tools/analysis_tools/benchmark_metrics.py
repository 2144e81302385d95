"""Time ``CityscapesPanopticMetric`` against cityscapesscripts' evaluator.

Both evaluate the same N ground-truth/prediction pairs (default 50 at
1024x2048): ours from tensors (``process`` + ``compute_metrics``, one
process), the official ``evaluatePanoptic`` from the COCO-panoptic files
written here (PNG decoding included, as that is its input; it uses
``multiprocessing.cpu_count()`` worker processes). Prints both times, the
ratio and both PQs (which must agree).

Example::

    python tools/analysis_tools/benchmark_metrics.py --num 50 \
        --height 1024 --width 2048
"""
import argparse
import contextlib
import io
import multiprocessing
import os.path as osp
import tempfile
import time

import numpy as np
import torch
from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
    evaluatePanoptic

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.evaluation import CityscapesPanopticMetric
from mmpdl.evaluation.functional.cityscapes_writers import (
    write_panoptic_json, write_panoptic_png)

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
    """Write maps as COCO-panoptic PNGs + JSON; return the JSON path."""
    annotations = []
    thing_label_ids = {meta['label_ids'][i] for i in meta['thing_ids']}
    for i, pan in enumerate(maps):
        ann = write_panoptic_png(pan, f'bench_000000_{i:06d}',
                                 osp.join(folder, 'panoptic'),
                                 meta['label_ids'], 1000, 255)
        for seg in ann['segments_info']:
            seg['iscrowd'] = int(crowd and seg['id'] < 1000
                                 and seg['id'] in thing_label_ids)
        annotations.append(ann)
    json_path = osp.join(folder, 'panoptic.json')
    write_panoptic_json(annotations, json_path, meta['classes'],
                        meta['label_ids'], meta['thing_ids'])
    return json_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num', type=int, default=50)
    parser.add_argument('--height', type=int, default=1024)
    parser.add_argument('--width', type=int, default=2048)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    meta = dict(CITYSCAPES_META)
    rng = np.random.default_rng(args.seed)
    metric = CityscapesPanopticMetric()
    metric.dataset_meta = meta
    ours_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        gts, preds = [], []
        for _ in range(args.num):
            gt, pred = make_pair(rng, args.height, args.width)
            gts.append(gt.astype(np.int32))
            preds.append(pred.astype(np.int32))
        gt_json = write_official(gts, osp.join(tmp, 'gt'), meta, True)
        pred_json = write_official(preds, osp.join(tmp, 'pred'), meta, False)
        for gt, pred in zip(gts, preds):
            sample = dict(
                gt_panoptic_seg=dict(data=torch.from_numpy(gt).long()[None]),
                pred_panoptic_seg=dict(
                    data=torch.from_numpy(pred).long()[None]))
            start = time.perf_counter()
            metric.process({}, [sample])
            ours_s += time.perf_counter() - start
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            ours = metric.compute_metrics(metric.results)
        ours_s += time.perf_counter() - start

        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            theirs = evaluatePanoptic(gt_json, osp.join(tmp, 'gt', 'panoptic'),
                                      pred_json,
                                      osp.join(tmp, 'pred', 'panoptic'),
                                      osp.join(tmp, 'result.json'))
        theirs_s = time.perf_counter() - start
    print(f'{args.num} predictions at {args.height}x{args.width}, '
          f'{torch.get_num_threads()} torch threads')
    print(f'mmpdl CityscapesPanopticMetric (1 process, from tensors): '
          f'{1000 * ours_s:.0f} ms  ({1000 * ours_s / args.num:.1f} ms/img)')
    print(f'cityscapesscripts evaluatePanoptic '
          f'({multiprocessing.cpu_count()} processes, from PNGs): '
          f'{1000 * theirs_s:.0f} ms  ({1000 * theirs_s / args.num:.1f} '
          'ms/img)')
    print(f'ratio official / mmpdl: {theirs_s / ours_s:.2f}x')
    print(f"PQ mmpdl {ours['PQ'] / 100:.12f}  official "
          f"{theirs['All']['pq']:.12f}")


if __name__ == '__main__':
    main()
