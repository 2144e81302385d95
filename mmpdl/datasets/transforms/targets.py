"""``GeneratePanopticTargets``: the training targets of Panoptic-DeepLab.

Semantics follow the original ``PanopticTargetGenerator`` exactly (its
published numbers come from them), computed in one pass per image: segment
areas and centroids come from ``np.bincount`` over the segment index of each
pixel, offsets and weights from per-segment lookup tables; only the Gaussian
splat loops over thing segments, and only over its 6*sigma+3 window.

Facts of the original kept here (some differ from a first reading of the
paper): thing segments marked crowd also get a centroid, a Gaussian and
offsets, but center and offset weights 0; the small-instance semantic weight
applies to crowd segments too; the Gaussian is placed at
``(int(mean y), int(mean x))``.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmpdl.registry import TRANSFORMS
from mmpdl.structures import SAMPLE_KEY, PanopticMetaInfo
from mmpdl.structures.panoptic_ids import dense_segment_ids, segment_moments


def gaussian_kernel(sigma: float) -> np.ndarray:
    """(6 sigma + 3)^2 Gaussian with peak 1 at index 3 sigma + 1."""
    size = int(6 * sigma + 3)
    coords = np.arange(size, dtype=np.float64)
    mid = 3 * sigma + 1
    return np.exp(-((coords[None, :] - mid)**2 + (coords[:, None] - mid)**2) /
                  (2 * sigma**2))


def splat_gaussian(heatmap: np.ndarray, kernel: np.ndarray, y: int, x: int,
                   sigma: float) -> None:
    """``heatmap = max(heatmap, kernel centred at (y, x))`` in place, with
    the original's window rounding.

    Args:
        heatmap (np.ndarray): (H, W) float32.
        kernel (np.ndarray): From :func:`gaussian_kernel`.
        y (int): Row of the peak.
        x (int): Column of the peak.
        sigma (float): Its sigma.
    """
    height, width = heatmap.shape
    left, top = int(np.round(x - 3 * sigma - 1)), int(
        np.round(y - 3 * sigma - 1))
    right, bottom = int(np.round(x + 3 * sigma + 2)), int(
        np.round(y + 3 * sigma + 2))
    k_x0, k_x1 = max(0, -left), min(right, width) - left
    k_y0, k_y1 = max(0, -top), min(bottom, height) - top
    h_x0, h_x1 = max(0, left), min(right, width)
    h_y0, h_y1 = max(0, top), min(bottom, height)
    np.maximum(
        heatmap[h_y0:h_y1, h_x0:h_x1],
        kernel[k_y0:k_y1, k_x0:k_x1],
        out=heatmap[h_y0:h_y1, h_x0:h_x1])


@TRANSFORMS.register_module()
class GeneratePanopticTargets(BaseTransform):
    """Center heatmap, offsets and the three loss-weight maps.

    Reads ``gt_panoptic_seg`` ((H, W) int, mmpdl encoding) and
    ``gt_seg_map`` ((H, W) train ids); adds ``gt_center`` (1, H, W)
    float32, ``gt_offset`` (2, H, W) float32 (dy, dx) = centroid - pixel,
    ``gt_sem_weights``, ``gt_center_weights``, ``gt_offset_weights`` (H, W)
    float32. Thing classes, label divisor and ignore index are the
    dataset's: its :class:`PanopticMetaInfo` in ``results['panoptic_meta']``.

    Args:
        sigma (float): Gaussian sigma (8).
        small_instance_area (int): Thing segments with fewer pixels (on the
            crop) get ``small_instance_weight`` in the semantic loss.
        small_instance_weight (float): That weight (3).
        ignore_stuff_in_offset (bool): Offset weight 0 on stuff (True).
        ignore_crowd_in_semantic (bool): Set crowd pixels to ignore in
            ``gt_seg_map`` (False, as the PyTorch original).
        round_centers (bool): Place each Gaussian at the rounded centroid
            ``(round(mean y), round(mean x))`` (halves to even), as
            detectron2's target generator; False truncates (``int``), as
            the original.
    """

    def __init__(self,
                 sigma: float = 8,
                 small_instance_area: int = 4096,
                 small_instance_weight: float = 3.0,
                 ignore_stuff_in_offset: bool = True,
                 ignore_crowd_in_semantic: bool = False,
                 round_centers: bool = False) -> None:
        self.sigma = sigma
        self.round_centers = round_centers
        self.kernel = gaussian_kernel(sigma)
        self.small_instance_area = small_instance_area
        self.small_instance_weight = small_instance_weight
        self.ignore_stuff_in_offset = ignore_stuff_in_offset
        self.ignore_crowd_in_semantic = ignore_crowd_in_semantic

    @staticmethod
    def _segments(panoptic, thing_ids, label_divisor, ignore_index):
        """Per-segment facts and the segment index of every pixel."""
        seg_ids, inverse = dense_segment_ids(panoptic.ravel())
        train_ids = seg_ids // label_divisor
        void = train_ids == ignore_index
        thing = np.isin(train_ids, list(thing_ids)) & ~void
        crowd = thing & (seg_ids % label_divisor == 0)
        return inverse, void, thing, crowd

    def transform(self, results: dict) -> dict:
        """Add the targets to ``results``."""
        meta = PanopticMetaInfo.of(
            results.get(SAMPLE_KEY), f'{type(self).__name__} input')
        thing_ids, divisor = meta.thing_ids, meta.label_divisor
        ignore_index = meta.ignore_index
        panoptic = np.asarray(results['gt_panoptic_seg'], np.int64)
        height, width = panoptic.shape
        inverse, void, thing, crowd = self._segments(panoptic, thing_ids,
                                                     divisor, ignore_index)
        num = len(void)
        area, sum_y, sum_x = segment_moments(inverse, num, width)
        area = area.astype(np.float64)
        safe = np.maximum(area, 1)
        # float64 means of exact integer sums: np.mean's values
        cy = sum_y / safe
        cx = sum_x / safe

        sem_w = np.where(thing & (area < self.small_instance_area),
                         self.small_instance_weight, 1.0)
        labelled = ~void & ~crowd
        off_w = labelled & (thing | (not self.ignore_stuff_in_offset))
        results['gt_sem_weights'] = sem_w.astype(np.float32)[inverse].reshape(
            height, width)
        results['gt_center_weights'] = labelled.astype(
            np.float32)[inverse].reshape(height, width)
        results['gt_offset_weights'] = off_w.astype(
            np.float32)[inverse].reshape(height, width)

        # centroid - pixel in float64 (as the original), 0 off things
        on_thing = thing[inverse].reshape(height, width)
        offset = np.zeros((2, height, width), np.float32)
        rows = np.arange(height, dtype=np.float64)[:, None]
        cols = np.arange(width, dtype=np.float64)[None, :]
        for channel, (centroid, coords) in enumerate(((cy, rows), (cx, cols))):
            table = np.where(thing, centroid, 0.0)
            delta = table[inverse].reshape(height, width)
            delta -= coords
            np.copyto(offset[channel], delta, where=on_thing)
        results['gt_offset'] = offset

        center = np.zeros((height, width), np.float32)
        peak_y, peak_x = (np.round(cy), np.round(cx)) if self.round_centers \
            else (cy, cx)
        for idx in np.flatnonzero(thing):
            splat_gaussian(center, self.kernel, int(peak_y[idx]),
                           int(peak_x[idx]), self.sigma)
        results['gt_center'] = center[None]

        if self.ignore_crowd_in_semantic:
            sem = results['gt_seg_map'].copy()
            sem[crowd[inverse].reshape(height, width)] = ignore_index
            results['gt_seg_map'] = sem
        return results
