"""Augmentation parity: given the same draws, mmpdl's random resize, crop
and flip give the references' pixels and labels, and they draw from the
same sets and ranges.

The oracles are the references' transforms written out as stated facts:

- the original (``segmentation/data/transforms/transforms.py``):
  ``RandomScale`` picks one of ``np.linspace(min, max, int((max - min) /
  step + 1))`` and runs ``cv2.resize(image.astype(np.float), fx=s, fy=s,
  INTER_LINEAR).astype(uint8)`` and the same with ``INTER_NEAREST`` on the
  float RGB panoptic label; ``RandomCrop`` pads a smaller image with
  ``cv2.copyMakeBorder`` (``pad_top = randint(0, pad_h)``, ``pad_left =
  randint(0, pad_w)``, value ``int(mean * 255)``, label 0 = no segment)
  then crops at ``randint(0, H - crop_h)``, ``randint(0, W - crop_w)``;
  ``RandomHorizontalFlip`` flips when ``random.random() < 0.5``.
- detectron2 (``detectron2/data/transforms``): ``ResizeShortestEdge``
  draws ``np.random.choice(lengths)`` and resizes with ``PIL.Image.resize``
  (BILINEAR for the image, NEAREST for the RGB panoptic PNG); ``RandomCrop
  ('absolute')`` crops ``min(crop, size)`` at ``np.random.randint(h -
  crop_h + 1)``, ``np.random.randint(w - crop_w + 1)``; ``RandomFlip``
  flips when ``np.random.uniform(0, 1) < 0.5``; the model pads the
  normalised batch with 0.
"""
from unittest import mock

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from mmpdl.datasets import CITYSCAPES_PANOPTIC_META
from mmpdl.datasets.transforms import (GeneratePanopticTargets,
                                       PanopticRandomCrop, PanopticRandomFlip,
                                       PanopticRandomResize,
                                       PanopticResizeShortestEdge)
from mmpdl.testing.parity_data import DrawMismatch, ReplayedDraws

DIVISOR, IGNORE = 1000, 255
VOID = IGNORE * DIVISOR
#: the original's pad value of a uint8 image: int(ImageNet mean * 255),
#: here in BGR order
ORIGINAL_PAD_BGR = (int(0.406 * 255), int(0.456 * 255), int(0.485 * 255))


def sample(height, width, seed=0):
    """A random BGR image with a panoptic map of a few segments."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    classes = rng.integers(1, 19, (height, width))  # id 0: no segment
    instance = rng.integers(1, 4, (height, width))
    panoptic = np.where(classes >= 11, classes * DIVISOR + instance,
                        classes * DIVISOR).astype(np.int32)
    panoptic[:2, :3] = VOID
    sem = np.where(panoptic == VOID, IGNORE,
                   panoptic // DIVISOR).astype(np.uint8)
    return dict(
        img=img,
        gt_panoptic_seg=panoptic,
        gt_seg_map=sem,
        seg_fields=['gt_seg_map', 'gt_panoptic_seg'],
        # things 11-18, divisor 1000, ignore 255
        panoptic_meta=CITYSCAPES_PANOPTIC_META)


def as_rgb(ids):
    """The original's label image: a segment id in RGB (0 = no segment),
    float32 as its dataset reads it."""
    ids = np.where(ids == VOID, 0, ids).astype(np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536],
                    -1).astype(np.float32)


def from_rgb(rgb):
    rgb = rgb.astype(np.int64)
    ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
    return np.where(ids == 0, VOID, ids)


def run(transform, results, draws):
    with ReplayedDraws(draws).patched():
        return transform(results)


# ----------------------------------------------------------------- original
def test_scale_grid_is_the_originals():
    transform = PanopticRandomResize((0.5, 2.0), 0.1)
    low, high, step = 0.5, 2.0, 0.1
    grid = np.linspace(low, high, int((high - low) / step + 1))
    assert transform.scale_factors().tolist() == grid.tolist()
    assert len(grid) == 16


@pytest.mark.parametrize('index', [0, 2, 5, 8, 15])
def test_float_resize_is_the_originals(index):
    transform = PanopticRandomResize((0.5, 2.0), 0.1, float_image=True)
    scale = transform.scale_factors()[index]
    results = sample(37, 53)
    img, ids = results['img'].copy(), results['gt_panoptic_seg'].copy()
    out = run(transform, results, [('randint', 16, index)])
    expected = cv2.resize(
        img.astype(np.float64),
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    np.testing.assert_array_equal(out['img'], expected)
    label = cv2.resize(
        as_rgb(ids), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(out['gt_panoptic_seg'], from_rgb(label))


def test_uint8_resize_rounds_where_the_original_truncates():
    # why float_image exists: cv2 rounds a uint8 resize, the original's
    # float64 resize is truncated by astype(uint8)
    results = sample(37, 53)
    img = results['img'].copy()
    out = run(
        PanopticRandomResize((0.5, 2.0), 0.1), dict(results),
        [('randint', 16, 2)])
    truncated = cv2.resize(
        img.astype(np.float64),
        None,
        fx=0.7,
        fy=0.7,
        interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    assert (out['img'].astype(int) - truncated).max() == 1


@pytest.mark.parametrize('shape,crop,draws', [
    ((20, 30), (25, 41), (3, 9, 0, 0)),
    ((20, 50), (25, 41), (5, 0, 0, 7)),
    ((30, 50), (25, 41), (None, None, 4, 6)),
])
def test_random_pad_crop_is_the_originals(shape, crop, draws):
    results = sample(*shape)
    img, ids = results['img'].copy(), results['gt_panoptic_seg'].copy()
    pad_h, pad_w = max(crop[0] - shape[0], 0), max(crop[1] - shape[1], 0)
    top, left, h_off, w_off = draws
    replay = []
    if pad_h or pad_w:
        replay += [('randint', pad_h + 1, top), ('randint', pad_w + 1, left)]
    else:
        top = left = 0
    replay += [('randint', shape[0] + pad_h - crop[0] + 1, h_off),
               ('randint', shape[1] + pad_w - crop[1] + 1, w_off)]
    out = run(PanopticRandomCrop(crop, random_pad=True), results, replay)
    border = (top, pad_h - top, left, pad_w - left)
    padded = cv2.copyMakeBorder(
        img, *border, cv2.BORDER_CONSTANT, value=ORIGINAL_PAD_BGR)
    label = cv2.copyMakeBorder(
        as_rgb(ids), *border, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    window = (slice(h_off, h_off + crop[0]), slice(w_off, w_off + crop[1]))
    np.testing.assert_array_equal(out['img'], padded[window])
    np.testing.assert_array_equal(out['gt_panoptic_seg'],
                                  from_rgb(label[window]))
    assert (out['gt_seg_map'][out['gt_panoptic_seg'] == VOID] == IGNORE).all()


@pytest.mark.parametrize('u,flipped', [(0.49, True), (0.5, False)])
def test_flip_is_the_originals(u, flipped):
    results = sample(6, 9)
    img = results['img'].copy()
    out = run(PanopticRandomFlip(0.5), results, [('rand', u)])
    np.testing.assert_array_equal(out['img'], img[:, ::-1] if flipped else img)
    assert out['flip'] is flipped


def test_replay_refuses_a_draw_from_another_range():
    with pytest.raises(DrawMismatch, match='range'):
        run(
            PanopticRandomCrop((25, 41), random_pad=False), sample(20, 30),
            [('randint', 6, 3), ('randint', 12, 9), ('randint', 1, 0),
             ('randint', 1, 0)])


def recorded_randint(calls):
    real = np.random.randint

    def randint(n, *args, **kwargs):
        value = real(n, *args, **kwargs)
        calls.append((n, value))
        return value

    return randint


def test_draws_come_from_the_originals_sets():
    """Every scale of the grid, every padding position and crop offset in
    the original's ranges, the flip with probability 0.5, each uniform."""
    np.random.seed(0)
    resize = PanopticRandomResize((0.5, 2.0), 0.1)
    crop = PanopticRandomCrop((9, 13), random_pad=True)
    flip = PanopticRandomFlip(0.5)
    scale_counts = np.zeros(16, int)
    ranges, flips, trials = [], 0, 3200
    for _ in range(trials):
        calls = []
        with mock.patch.object(np.random, 'randint', recorded_randint(calls)):
            out = resize(sample(8, 10))
            h, w = out['img'].shape[:2]
            crop(out)
        scale_counts[calls[0][1]] += 1
        pad_h, pad_w = max(9 - h, 0), max(13 - w, 0)
        expected = ([pad_h + 1, pad_w + 1] if pad_h or pad_w else [])
        expected += [h + pad_h - 9 + 1, w + pad_w - 13 + 1]
        assert [n for n, _ in calls[1:]] == expected
        assert all(0 <= v < n for n, v in calls)
        ranges += calls[1:]
        flips += flip(dict(img=np.zeros((2, 2, 3), np.uint8)))['flip']
    # uniform: each of 16 scales ~200 times (binomial sd ~14)
    assert scale_counts.min() > 200 - 5 * 14
    assert scale_counts.max() < 200 + 5 * 14
    assert abs(flips - trials / 2) < 5 * np.sqrt(trials / 4)
    # draws from range(n) with n = 2 average (n - 1) / 2
    wide = [(n, v) for n, v in ranges if n == 2]
    assert abs(np.mean([v for _, v in wide]) - 0.5) < 0.05


# --------------------------------------------------------------- detectron2
def detectron2_output_size(h, w, short, max_size):
    """detectron2's ResizeShortestEdge.get_output_shape."""
    scale = short * 1.0 / min(h, w)
    if h < w:
        newh, neww = short, scale * w
    else:
        newh, neww = scale * h, short
    if max(newh, neww) > max_size:
        scale = max_size * 1.0 / max(newh, neww)
        newh = newh * scale
        neww = neww * scale
    return int(newh + 0.5), int(neww + 0.5)


def test_output_size_is_detectron2s_on_a_grid():
    for h in range(17, 700, 37):
        for w in range(19, 900, 41):
            for short in (320, 512, 640, 1024):
                for max_size in (640, 960, 4096):
                    assert PanopticResizeShortestEdge.output_size(
                        h, w, short, max_size) == detectron2_output_size(
                            h, w, short, max_size)


@pytest.mark.parametrize('shape,short', [((48, 64), 32), ((48, 64), 100),
                                         ((61, 47), 37)])
def test_pillow_resize_is_detectron2s(shape, short):
    results = sample(*shape)
    img, ids = results['img'].copy(), results['gt_panoptic_seg'].copy()
    transform = PanopticResizeShortestEdge([short], 10_000, backend='pillow')
    out = run(transform, results, [('randint', 1, 0)])
    h, w = detectron2_output_size(*shape, short, 10_000)
    expected = np.asarray(Image.fromarray(img).resize((w, h), Image.BILINEAR))
    np.testing.assert_array_equal(out['img'], expected)
    rgb = as_rgb(ids).astype(np.uint8)
    label = np.asarray(Image.fromarray(rgb).resize((w, h), Image.NEAREST))
    np.testing.assert_array_equal(out['gt_panoptic_seg'], from_rgb(label))
    # cv2 (without Pillow's widened filter) gives other pixels
    cv2_out = run(
        PanopticResizeShortestEdge([short], 10_000), sample(*shape),
        [('randint', 1, 0)])
    assert not np.array_equal(cv2_out['img'], expected)


def test_detectron2_recipe_draws_what_detectron2_draws():
    """Seeded alike, mmpdl's resize, crop and flip draw detectron2's
    values: np.random.choice of the lengths, randint(h - crop_h + 1),
    randint(w - crop_w + 1), uniform(0, 1) < 0.5."""
    lengths = [32, 40, 48, 56]
    resize = PanopticResizeShortestEdge(lengths, 10_000)
    crop = PanopticRandomCrop((30, 50), pad=False)
    flip = PanopticRandomFlip(0.5)
    for seed in range(50):
        np.random.seed(seed)
        short = np.random.choice(lengths)
        h, w = detectron2_output_size(24, 36, short, 10_000)
        ch, cw = min(30, h), min(50, w)
        h0 = np.random.randint(h - ch + 1)
        w0 = np.random.randint(w - cw + 1)
        flipped = np.random.uniform(0, 1, []) < 0.5
        np.random.seed(seed)
        results = sample(24, 36)
        marker = np.arange(24 * 36, dtype=np.int32).reshape(24, 36)
        results['gt_panoptic_seg'] = marker + 11 * DIVISOR
        out = flip(crop(resize(results)))
        expected = cv2.resize(
            marker, (w, h), interpolation=cv2.INTER_NEAREST)[h0:h0 + ch,
                                                             w0:w0 + cw]
        if flipped:
            expected = expected[:, ::-1]
        got = out['gt_panoptic_seg'] - 11 * DIVISOR
        np.testing.assert_array_equal(got, expected)
        assert out['flip'] == flipped


def test_unpadded_crop_and_batch_padding_are_detectron2s():
    """pad=False crops min(crop, size) at detectron2's draws; the data
    preprocessor pads the normalised batch with exactly 0 and the semantic
    map with ignore, at the bottom/right, after the flip."""
    from mmpdl.registry import MODELS
    from mmpdl.utils import register_all_modules
    register_all_modules()
    preprocessor = MODELS.build(
        dict(
            type='SegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            size_divisor=16,
            seg_pad_val=IGNORE))
    results = sample(8, 20)
    img = results['img'].copy()
    # detectron2: croph = min(12, 8) = 8, h0 = randint(1), w0 = randint(5)
    out = run(
        PanopticRandomCrop((12, 16), pad=False), results, [('randint', 1, 0),
                                                           ('randint', 5, 3)])
    np.testing.assert_array_equal(out['img'], img[:, 3:19])
    out = run(PanopticRandomFlip(0.5), out, [('rand', 0.1)])
    from mmpdl.datasets.transforms import PackPanopticInputs
    packed = PackPanopticInputs()(out)
    batch = preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
        True)
    inputs = batch['inputs'][0]
    assert inputs.shape == (3, 16, 16)
    rgb = torch.from_numpy(img[:,
                               3:19][:, ::-1, ::-1].copy()).permute(2, 0,
                                                                    1).float()
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    assert torch.equal(inputs[:, :8], (rgb - mean) / std)
    assert (inputs[:, 8:] == 0).all()
    sem = batch['data_samples'][0].gt_sem_seg.data[0]
    assert (sem[8:] == IGNORE).all()


def test_round_centers_places_the_peak_as_detectron2():
    """detectron2: the peak at (int(round(mean y)), int(round(mean x)))
    (halves to even); the original: (int(mean y), int(mean x))."""
    panoptic = np.full((20, 20), 0, np.int32)  # class 0: stuff
    # thing 11, instance 1: rows 3-4 (mean 3.5), cols 6-8 (mean 7.0)
    panoptic[3:5, 6:9] = 11 * DIVISOR + 1
    # instance 2: rows 10-11 (mean 10.5), cols 14-17 (mean 15.5)
    panoptic[10:12, 14:18] = 11 * DIVISOR + 2
    results = dict(
        gt_panoptic_seg=panoptic,
        gt_seg_map=(panoptic // DIVISOR).astype(np.uint8),
        panoptic_meta=CITYSCAPES_PANOPTIC_META)  # thing 11: person
    peaks = {}
    for rounding in (False, True):
        center = GeneratePanopticTargets(
            sigma=2, round_centers=rounding)(dict(results))['gt_center'][0]
        peaks[rounding] = {
            tuple(p)
            for p in np.argwhere(center == 1.0).tolist()
        }
    assert peaks[False] == {(3, 7), (10, 15)}
    assert peaks[True] == {(4, 7), (10, 16)}  # round(3.5)=4, round(10.5)=10
