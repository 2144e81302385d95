"""The panoptic quality counts of a Cityscapes-size image (1024x2048) are
those of cityscapesscripts' ``pq_compute_single_core`` for every integer
dtype of the ground truth and the prediction (numpy and CPU tensors), in
three encodings whose largest ids fit 32-, 16- and 8-bit maps.

``LoadPanopticAnnotations`` gives int32 ground truth: an int32 map with an
int64 prediction is the case users meet.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
    pq_compute_single_core
from PIL import Image

from mmpdl.evaluation import PanopticQualityMetric
from mmpdl.evaluation.functional import panoptic_image_statistics

NUM_CLASSES = 19
THINGS = tuple(range(11, 19))
SHAPE = (1024, 2048)
DTYPES = (np.uint8, np.uint16, np.uint32, np.uint64, np.int16, np.int32,
          np.int64)
#: (label_divisor, ignore_index): void 255000, 25500 and 250
ENCODINGS = ((1000, 255), (100, 255), (10, 25))


def _scene(seed=0):
    """Train ids and instance ids (< 10) of a ground truth and a
    prediction: stuff bands, 24 things, a person crowd region, void; the
    prediction shifted, one thing of another class, two instances merged,
    a void hole, a person on the crowd region. Void is class -1."""
    rng = np.random.default_rng(seed)
    height, width = SHAPE
    cls = np.zeros(SHAPE, dtype=np.int64)  # road from row 600
    # sky, building, vegetation, sidewalk bands
    for train_id, top, bottom in ((10, 0, 250), (2, 250, 400), (8, 400, 500),
                                  (1, 500, 600)):
        cls[top:bottom] = train_id
    inst = np.zeros(SHAPE, dtype=np.int64)
    for k in range(24):
        h, w = rng.integers(40, 300), rng.integers(40, 400)
        y, x = rng.integers(300, height - h), rng.integers(0, width - w)
        cls[y:y + h, x:x + w] = THINGS[k % 8]
        inst[y:y + h, x:x + w] = k // 8 + 1
    cls[900:1000, 100:600], inst[900:1000, 100:600] = 11, 0  # crowd
    cls[:40] = -1
    cls[700:760, 1500:1700] = -1
    pred_cls = np.roll(cls, (4, -6), axis=(0, 1))
    pred_inst = np.roll(inst, (4, -6), axis=(0, 1))
    first = (pred_cls == 12) & (pred_inst == 1)
    pred_cls[first] = 13  # another class
    pred_inst[(pred_cls == 14) & (pred_inst == 2)] = 1  # merged
    pred_cls[200:300, 200:400] = -1  # a void hole
    pred_cls[920:980, 150:250], pred_inst[920:980, 150:250] = 11, 3
    return (cls, inst), (pred_cls, pred_inst)


def _encode(cls, inst, divisor, ignore):
    return np.where(cls < 0, ignore * divisor, cls * divisor + inst)


def _write_coco(seg, divisor, ignore, path, with_area):
    """The map as a COCO-panoptic PNG (segment id = panoptic id + 1, void
    0) and its ``segments_info`` (category id = train id + 1)."""
    ids, areas = np.unique(seg, return_counts=True)
    png = np.where(seg == ignore * divisor, 0, seg + 1)
    rgb = np.stack([png % 256, png // 256 % 256, png // 65536], axis=-1)
    Image.fromarray(rgb.astype(np.uint8)).save(path)
    infos = []
    for seg_id, area in zip(ids.tolist(), areas.tolist()):
        if seg_id == ignore * divisor:
            continue
        train_id, instance = divmod(seg_id, divisor)
        info = dict(
            id=seg_id + 1,
            category_id=train_id + 1,
            iscrowd=int(train_id in THINGS and instance == 0))
        if with_area:
            info['area'] = area
        infos.append(info)
    return dict(image_id=1, file_name=osp.basename(path), segments_info=infos)


@pytest.fixture(scope='module')
def official(tmp_path_factory):
    """Per encoding: int64 ground truth and prediction, and the official
    (C,) tp, fp, fn, iou by train id."""
    root = tmp_path_factory.mktemp('pq_dtypes')
    gt_parts, pred_parts = _scene()
    categories = {
        c + 1: dict(id=c + 1, isthing=int(c in THINGS))
        for c in range(NUM_CLASSES)
    }
    results = {}
    for divisor, ignore in ENCODINGS:
        gt = _encode(*gt_parts, divisor, ignore)
        pred = _encode(*pred_parts, divisor, ignore)
        folder = root / f'd{divisor}'
        (folder / 'gt').mkdir(parents=True)
        (folder / 'pred').mkdir()
        gt_ann = _write_coco(gt, divisor, ignore, str(folder / 'gt/a.png'),
                             True)
        pred_ann = _write_coco(pred, divisor, ignore,
                               str(folder / 'pred/a.png'), False)
        stat = pq_compute_single_core(0, [(gt_ann, pred_ann)],
                                      str(folder / 'gt'), str(folder / 'pred'),
                                      categories)
        counts = {
            key:
            np.array([getattr(stat[c + 1], key) for c in range(NUM_CLASSES)])
            for key in ('tp', 'fp', 'fn', 'iou')
        }
        results[divisor] = (gt, pred, counts)
    return results


def _fitting(max_id):
    return [d for d in DTYPES if np.iinfo(d).max >= max_id]


def _assert_counts(stats, expected, what):
    for key in ('tp', 'fp', 'fn'):
        np.testing.assert_array_equal(stats[key], expected[key], what + key)
    np.testing.assert_allclose(
        stats['iou'], expected['iou'], rtol=0, atol=1e-9, err_msg=what)


def test_the_scene_exercises_the_rules(official):
    _, _, counts = official[1000]
    for key in ('tp', 'fp', 'fn'):
        assert counts[key][list(THINGS)].sum() > 0, key
    assert counts['tp'][:11].sum() >= 4


@pytest.mark.parametrize('kind', ['numpy', 'torch'])
@pytest.mark.parametrize('divisor,ignore', ENCODINGS)
def test_every_dtype_gives_the_official_counts(official, divisor, ignore,
                                               kind):
    gt, pred, expected = official[divisor]
    dtypes = _fitting(ignore * divisor)
    combinations = {(d, np.int64) for d in dtypes}
    combinations |= {(np.int64, d) for d in dtypes}
    combinations |= {(d, d) for d in dtypes}
    for gt_dtype, pred_dtype in sorted(combinations, key=str):
        maps = [gt.astype(gt_dtype), pred.astype(pred_dtype)]
        if kind == 'torch':
            maps = [torch.from_numpy(m) for m in maps]
        stats = panoptic_image_statistics(*maps, THINGS, NUM_CLASSES, divisor,
                                          ignore)
        _assert_counts(stats, expected,
                       f'{gt_dtype.__name__} {pred_dtype.__name__} ')


def test_metric_takes_int32_ground_truth_of_the_loader(official):
    """``LoadPanopticAnnotations`` + ``PackPanopticInputs`` give an int32
    ground-truth tensor; the model an int64 prediction."""
    gt, pred, expected = official[1000]
    metric = PanopticQualityMetric()
    metric.dataset_meta = dict(
        classes=[f'c{i}' for i in range(NUM_CLASSES)],
        thing_ids=list(THINGS),
        stuff_ids=[i for i in range(NUM_CLASSES) if i not in THINGS],
        label_ids=list(range(1, NUM_CLASSES + 1)),
        label_divisor=1000,
        ignore_index=255)
    sample = dict(
        img_path='a.png',
        gt_panoptic_seg=dict(data=torch.from_numpy(gt.astype(np.int32))[None]),
        pred_panoptic_seg=dict(data=torch.from_numpy(pred)[None]))
    metric.process({}, [sample])
    _assert_counts(metric.results[0], expected, 'metric ')


def test_bad_ids_name_the_map_and_the_value(official):
    gt, pred, _ = official[1000]
    bad_gt = gt.astype(np.int32)
    bad_gt[500, 600:700] = -7
    with pytest.raises(ValueError, match=r'gt_panoptic_seg.*-7'):
        panoptic_image_statistics(bad_gt, pred, THINGS, NUM_CLASSES, 1000, 255)
    bad_pred = pred.astype(np.uint64)
    bad_pred[1, 1] = 1 << 63
    for maps in ((gt, bad_pred), (torch.from_numpy(gt),
                                  torch.from_numpy(bad_pred))):
        with pytest.raises(
                ValueError, match=r'pred_panoptic_seg.*9223372036854775808'):
            panoptic_image_statistics(*maps, THINGS, NUM_CLASSES, 1000, 255)
