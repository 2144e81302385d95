"""Synthetic Cityscapes-like scenes for the benchmark suite.

A scene is a panoptic map in mmpdl's encoding (``train_id * 1000 + k``) with
stuff bands (sky, building, vegetation, sidewalk, road), a few small stuff
blobs under the post-processing's ``stuff_area``, ~30 thing instances
(ellipses of the 8 thing classes), one crowd region and a void band. From it
the suite derives post-processing inputs (softmax probabilities, center
heatmap with one Gaussian peak per instance, offsets to the centroids) and
training targets for the model task.
"""
from typing import Dict

import numpy as np
import torch

from mmpdl.datasets import CITYSCAPES_META

LABEL_DIVISOR = CITYSCAPES_META['label_divisor']
IGNORE_INDEX = CITYSCAPES_META['ignore_index']
THING_IDS = tuple(CITYSCAPES_META['thing_ids'])
NUM_CLASSES = len(CITYSCAPES_META['classes'])
#: the encoding arguments of the post-processing functions
ENCODING = dict(label_divisor=LABEL_DIVISOR, ignore_index=IGNORE_INDEX)
# (train id, top, bottom) as fractions of the height; building/vegetation
# split the band at mid-width.
_BANDS = ((10, 0.0, 0.25), (2, 0.25, 0.45), (1, 0.45, 0.55), (0, 0.55, 0.95))


def _draw_stuff(pan: np.ndarray, rng: np.random.Generator) -> None:
    """Paint stuff bands, small stuff blobs and the void band in place."""
    h, w = pan.shape
    for cat, top, bottom in _BANDS:
        pan[int(top * h):int(bottom * h)] = cat * LABEL_DIVISOR
    pan[int(0.25 * h):int(0.45 * h), w // 2:] = 8 * LABEL_DIVISOR
    pan[int(0.95 * h):] = IGNORE_INDEX * LABEL_DIVISOR
    for cat in (5, 6, 7, 7):  # pole, traffic light, signs: small stuff
        bh, bw = max(1, h // 30), max(1, w // 60)
        y, x = rng.integers(0, h - bh), rng.integers(0, w - bw)
        pan[y:y + bh, x:x + bw] = cat * LABEL_DIVISOR


def _ellipse(pan, cy, cx, ry, rx, value) -> None:
    """Set pixels of an axis-aligned ellipse to ``value`` (in place)."""
    h, w = pan.shape
    y0, y1 = max(0, int(cy - ry)), min(h, int(cy + ry) + 1)
    x0, x1 = max(0, int(cx - rx)), min(w, int(cx + rx) + 1)
    if y0 >= y1 or x0 >= x1:
        return
    yy = np.arange(y0, y1)[:, None]
    xx = np.arange(x0, x1)[None, :]
    inside = ((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 <= 1.0
    pan[y0:y1, x0:x1][inside] = value


def synthetic_panoptic(height: int = 1024,
                       width: int = 2048,
                       num_instances: int = 30,
                       seed: int = 0) -> np.ndarray:
    """A Cityscapes-like panoptic map.

    Args:
        height (int): H.
        width (int): W.
        num_instances (int): Thing instances (plus one crowd region).
        seed (int): Seed of the layout.

    Returns:
        np.ndarray: (H, W) int64, ``train_id * 1000 + k``; void 255000.
    """
    rng = np.random.default_rng(seed)
    pan = np.zeros((height, width), np.int64)
    _draw_stuff(pan, rng)
    scale = min(height / 1024, width / 2048)
    counters = {}
    for i in range(num_instances + 1):
        cat = int(rng.choice(THING_IDS))
        cy = rng.uniform(0.4, 0.9) * height
        cx = rng.uniform(0.02, 0.98) * width
        ry = rng.uniform(12, 90) * scale + 2
        rx = rng.uniform(12, 120) * scale + 2
        crowd = i == num_instances
        k = 0 if crowd else counters.setdefault(cat, 0) + 1
        counters[cat] = max(counters.get(cat, 0), k)
        _ellipse(pan, cy, cx, ry, rx, cat * LABEL_DIVISOR + k)
    return pan


def post_processing_inputs(panoptic: np.ndarray,
                           seed: int = 0) -> Dict[str, torch.Tensor]:
    """Network-like outputs whose post-processing recovers ``panoptic``.

    Semantic logits are 4 on the true class plus Gaussian noise (sd 0.5); on
    ~20% of each instance's pixels a rival thing class wins (so the majority
    vote of the instance's class matters), the center
    heatmap has a sigma-8 Gaussian peak at each instance centroid, offsets
    point from instance pixels to their centroid (+ noise of sd 2 px) and are
    noise elsewhere. Void pixels get road logits.

    Args:
        panoptic (np.ndarray): (H, W) int64 map from
            :func:`synthetic_panoptic`.
        seed (int): Seed of the noise.

    Returns:
        dict: ``sem_probs`` (1, 19, H, W) float32 softmax probabilities,
        ``center`` (1, 1, H, W) float32, ``offsets`` (1, 2, H, W) float32
        (dy, dx).
    """
    gen = torch.Generator().manual_seed(seed)
    pan = torch.from_numpy(panoptic)
    h, w = pan.shape
    sem = pan // LABEL_DIVISOR
    sem[sem == IGNORE_INDEX] = 0
    logits = torch.randn((1, NUM_CLASSES, h, w), generator=gen) * 0.5
    logits.scatter_add_(1, sem[None, None], torch.full((1, 1, h, w), 4.0))
    offsets = torch.randn((1, 2, h, w), generator=gen) * 2.0
    center = torch.zeros((1, 1, h, w))
    ys = torch.arange(h, dtype=torch.float32)[:, None]
    xs = torch.arange(w, dtype=torch.float32)[None, :]
    ids = torch.unique(pan)
    for seg_id in ids[(ids % LABEL_DIVISOR > 0)
                      & (ids // LABEL_DIVISOR != IGNORE_INDEX)].tolist():
        mask = pan == seg_id
        # a competing thing class wins on ~20% of the instance's pixels
        rival = THING_IDS[int(
            torch.randint(len(THING_IDS), (1, ), generator=gen))]
        flip = mask & (torch.rand((h, w), generator=gen) < 0.2)
        logits[0, rival][flip] += 6.0
        yy, xx = torch.nonzero(mask, as_tuple=True)
        cy, cx = yy.float().mean(), xx.float().mean()
        offsets[0, 0][mask] += cy - yy.float()
        offsets[0, 1][mask] += cx - xx.float()
        peak = torch.exp(-((ys - cy.round())**2 + (xs - cx.round())**2) /
                         (2 * 8.0**2))
        torch.maximum(center[0, 0], peak, out=center[0, 0])
    sem_probs = logits.softmax(dim=1)
    return dict(sem_probs=sem_probs, center=center, offsets=offsets)
