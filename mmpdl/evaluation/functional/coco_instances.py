"""COCO instance evaluation (box and mask AP) through pycocotools.

pycocotools' ``COCOeval`` does all the AP arithmetic; this module only
turns masks into its inputs (run-length encodings, boxes, areas), builds the
ground truth when no instance JSON is given, and reads its summary.

Ground truth derived from a panoptic map (when no ``instances_*.json`` is
given): every thing segment ``thing_id * label_divisor + k`` with ``k >= 1``
is one instance (``iscrowd`` 0); the crowd region of a thing class
(``k = 0``) is one ``iscrowd`` 1 annotation per class and image (COCO's
instance JSON may list several); void and stuff are no annotation. Areas
are pixel counts (the official JSON holds polygon areas), boxes the tight
boxes of the masks.
"""
import contextlib
import io
from typing import Dict, List, Optional, Sequence

import numpy as np
import pycocotools.mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmpdl.structures.panoptic_ids import dense_segment_ids, to_numpy

#: names of ``COCOeval.stats[:6]``
STAT_NAMES = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl')


def encode_masks(masks: np.ndarray) -> List[dict]:
    """Compressed COCO run-length encodings of binary masks.

    Args:
        masks (np.ndarray): (K, H, W) bool.

    Returns:
        list[dict]: K RLEs, ``size`` [H, W] and ``counts`` (str).
    """
    if len(masks) == 0:
        return []
    stacked = np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8))
    rles = mask_utils.encode(stacked)
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles


def rle_boxes_areas(rles: List[dict]):
    """``[x, y, w, h]`` tight boxes (float lists) and pixel areas (ints)."""
    if not rles:
        return [], []
    boxes = mask_utils.toBbox(rles).tolist()
    areas = [int(a) for a in mask_utils.area(rles)]
    return boxes, areas


def panoptic_to_instances(gt_panoptic, thing_ids: Sequence[int],
                          label_divisor: int) -> Dict[str, list]:
    """The thing instances and crowd regions of a panoptic ground truth.

    Args:
        gt_panoptic (Tensor | np.ndarray): (H, W) int64,
            ``train_id * label_divisor + k``.
        thing_ids (Sequence[int]): Train ids of thing classes.
        label_divisor (int): Divisor of the encoding.

    Returns:
        dict: ``labels`` (train ids), ``iscrowd`` (0/1), ``rles``,
        ``boxes`` and ``areas``, one entry per instance.
    """
    gt = to_numpy(gt_panoptic).astype(np.int64, copy=False)
    ids, index = dense_segment_ids(gt)
    keep = np.flatnonzero(np.isin(ids // label_divisor, list(thing_ids)))
    index = index.reshape(gt.shape)
    masks = np.stack([index == j for j in keep]) if len(keep) else np.zeros(
        (0, ) + gt.shape, bool)
    rles = encode_masks(masks)
    boxes, areas = rle_boxes_areas(rles)
    return dict(
        labels=(ids[keep] // label_divisor).tolist(),
        iscrowd=(ids[keep] % label_divisor == 0).astype(int).tolist(),
        rles=rles,
        boxes=boxes,
        areas=areas)


def coco_ground_truth(images: List[dict], instances: List[dict],
                      label_ids: Sequence[int],
                      thing_ids: Sequence[int]) -> COCO:
    """A pycocotools ``COCO`` of derived ground truth.

    Args:
        images (list[dict]): ``id``, ``height``, ``width`` per image.
        instances (list[dict]): Per image (same order), the output of
            :func:`panoptic_to_instances`.
        label_ids (Sequence[int]): Category id per train id.
        thing_ids (Sequence[int]): Thing train ids (the categories).

    Returns:
        COCO: With ``images``, ``annotations`` (ids from 1) and
        ``categories``.
    """
    annotations = []
    for image, inst in zip(images, instances):
        for label, crowd, rle, box, area in zip(inst['labels'],
                                                inst['iscrowd'], inst['rles'],
                                                inst['boxes'], inst['areas']):
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image['id'],
                    category_id=int(label_ids[label]),
                    segmentation=rle,
                    bbox=box,
                    area=area,
                    iscrowd=crowd))
    coco = COCO()
    coco.dataset = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=int(label_ids[i])) for i in thing_ids])
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def coco_results(image_id, rles: List[dict], labels: Sequence[int],
                 scores: Sequence[float], label_ids: Sequence[int],
                 with_box: bool) -> List[dict]:
    """COCO result entries of one image's predictions.

    Args:
        image_id (int): The image's id in the ground truth.
        rles (list[dict]): Encoded masks (:func:`encode_masks`).
        labels (Sequence[int]): Train ids.
        scores (Sequence[float]): Confidences.
        label_ids (Sequence[int]): Category id per train id.
        with_box (bool): Add ``bbox`` (box AP); without it pycocotools
            takes mask areas for the small/medium/large ranges of mask AP,
            as detectron2 does.

    Returns:
        list[dict]: ``image_id``, ``category_id``, ``segmentation``,
        ``score`` (and ``bbox``) per prediction.
    """
    boxes = rle_boxes_areas(rles)[0] if with_box else [None] * len(rles)
    results = []
    for rle, label, score, box in zip(rles, labels, scores, boxes):
        entry = dict(
            image_id=image_id,
            category_id=int(label_ids[int(label)]),
            segmentation=rle,
            score=float(score))
        if with_box:
            entry['bbox'] = box
        results.append(entry)
    return results


def evaluate_coco(coco_gt: COCO,
                  results: List[dict],
                  iou_type: str,
                  image_ids: Sequence[int],
                  log: Optional[List[str]] = None):
    """Run ``COCOeval`` and return its summary and per-category AP.

    Args:
        coco_gt (COCO): Ground truth.
        results (list[dict]): Outputs of :func:`coco_results`.
        iou_type (str): ``'segm'`` or ``'bbox'``.
        image_ids (Sequence[int]): Images evaluated.
        log (list[str], optional): Receives COCOeval's printed summary.

    Returns:
        tuple: ``stats`` dict of :data:`STAT_NAMES` -> float in [0, 1]
        (NaN where COCOeval has -1: no ground truth in that range) and
        ``per_category`` dict category id -> AP (NaN without ground truth).
    """
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        if results:
            coco_dt = coco_gt.loadRes(results)
        else:  # loadRes cannot take an empty list
            coco_dt = COCO()
            coco_dt.dataset = dict(
                images=coco_gt.dataset['images'], annotations=[])
            coco_dt.createIndex()
        evaluator = COCOeval(coco_gt, coco_dt, iou_type)
        evaluator.params.imgIds = list(image_ids)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    if log is not None:
        log.append(text.getvalue())
    stats = {
        name: float('nan') if value < 0 else float(value)
        for name, value in zip(STAT_NAMES, evaluator.stats[:6])
    }
    # precision: (iou thresholds, recalls, categories, areas, max dets)
    precision = evaluator.eval['precision'][:, :, :, 0, -1]
    per_category = {}
    for k, cat_id in enumerate(evaluator.params.catIds):
        valid = precision[:, :, k][precision[:, :, k] > -1]
        per_category[cat_id] = float(
            valid.mean()) if valid.size else float('nan')
    return stats, per_category
