"""Random scale, crop (with padding) and flip that move every label map
listed in ``results['seg_fields']`` together with the image."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmpdl.registry import TRANSFORMS
from mmpdl.structures import SAMPLE_KEY, PanopticMetaInfo


def _seg_pad_value(key: str, meta: PanopticMetaInfo) -> int:
    """Padding value of a label map: void for the panoptic map, the
    ignore index for the others."""
    if key == 'gt_panoptic_seg':
        return meta.ignore_index * meta.label_divisor
    return meta.ignore_index


def _record_resize(results: dict, old_shape) -> None:
    """Update ``scale_factor`` (w, h; cumulative), ``img_shape`` and
    ``scale`` after ``results['img']`` was resized from ``old_shape``."""
    h, w = results['img'].shape[:2]
    old = results.get('scale_factor', (1.0, 1.0))
    results['scale_factor'] = (old[0] * w / old_shape[1],
                               old[1] * h / old_shape[0])
    results['img_shape'] = (h, w)
    results['scale'] = (w, h)


@TRANSFORMS.register_module()
class PanopticRandomResize(BaseTransform):
    """Resize by a factor drawn from ``min, min + step, ..., max``.

    The image is resized bilinearly, label maps with nearest neighbour, as
    the original's ``RandomScale`` (``cv2.resize`` with ``fx = fy``).

    Args:
        ratio_range (tuple[float, float]): Smallest and largest factor.
        step (float): Factor step; 0 draws uniformly from the range.
    """

    def __init__(self, ratio_range=(0.5, 2.0), step: float = 0.1) -> None:
        low, high = ratio_range
        if not 0 < low <= high:
            raise ValueError(f'ratio_range must satisfy 0 < min <= max, got '
                             f'{ratio_range}')
        self.ratio_range = (low, high)
        self.step = step

    def _draw(self) -> float:
        low, high = self.ratio_range
        if self.step <= 0:
            return float(np.random.uniform(low, high))
        count = int(round((high - low) / self.step)) + 1
        return float(np.linspace(low, high, count)[np.random.randint(count)])

    def transform(self, results: dict) -> dict:
        """Resize image and label maps by one random factor."""
        scale = self._draw()
        img = results['img']
        results['img'] = cv2.resize(
            img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        for key in results.get('seg_fields', []):
            results[key] = cv2.resize(
                results[key],
                None,
                fx=scale,
                fy=scale,
                interpolation=cv2.INTER_NEAREST)
        _record_resize(results, img.shape[:2])
        return results


@TRANSFORMS.register_module()
class PanopticResizeShortestEdge(BaseTransform):
    """Resize so that the short side has a length drawn from
    ``short_edge_lengths``, unless the long side would then exceed
    ``max_size``: then the long side is ``max_size`` (aspect ratio kept).

    This is detectron2's ``ResizeShortestEdge`` with ``sample_style=
    'choice'``: for an (h, w) input and a drawn length ``s`` the scale is
    ``s / min(h, w)``, reduced to ``max_size / max(h, w)`` when that is
    smaller, and each side is ``int(side * scale + 0.5)``. The image is
    resized bilinearly, label maps (``seg_fields``) with nearest neighbour.
    One length and ``max_size`` equal to it give the usual test resize to
    a long side (e.g. 640 and 640 for COCO).

    Args:
        short_edge_lengths (Sequence[int]): Candidate short-side lengths,
            drawn uniformly.
        max_size (int): Upper bound of the long side.
    """

    def __init__(self, short_edge_lengths, max_size: int) -> None:
        lengths = [int(v) for v in short_edge_lengths]
        if not lengths or min(lengths) < 1 or max_size < 1:
            raise ValueError('short_edge_lengths must be positive lengths and '
                             f'max_size > 0, got {short_edge_lengths}, '
                             f'{max_size}')
        self.short_edge_lengths = lengths
        self.max_size = int(max_size)

    @staticmethod
    def output_size(height: int, width: int, short: int, max_size: int):
        """(new height, new width) of an (height, width) input."""
        scale = short / min(height, width)
        if max(height, width) * scale > max_size:
            scale = max_size / max(height, width)
        return int(height * scale + 0.5), int(width * scale + 0.5)

    def transform(self, results: dict) -> dict:
        """Resize image and label maps to one drawn short side."""
        img = results['img']
        short = self.short_edge_lengths[np.random.randint(
            len(self.short_edge_lengths))]
        new_h, new_w = self.output_size(*img.shape[:2], short, self.max_size)
        results['img'] = cv2.resize(
            img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        for key in results.get('seg_fields', []):
            results[key] = cv2.resize(
                results[key], (new_w, new_h), interpolation=cv2.INTER_NEAREST)
        _record_resize(results, img.shape[:2])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(short_edge_lengths='
                f'{self.short_edge_lengths}, max_size={self.max_size})')


@TRANSFORMS.register_module()
class PanopticRandomCrop(BaseTransform):
    """Pad to at least ``crop_size`` (bottom/right), then crop randomly.

    The image is padded with ``pad_val`` (the mean pixel, so that it
    normalises to 0), label maps with ignore / void, as the reference pads
    before cropping; ``ignore_index`` and ``label_divisor`` (the void value)
    are the dataset's, read from ``results``.

    Args:
        crop_size (tuple[int, int]): (height, width).
        pad_val (float | tuple): Image padding value (BGR order).
    """

    def __init__(self, crop_size, pad_val=(103.53, 116.28, 123.675)) -> None:
        if len(crop_size) != 2 or min(crop_size) < 1:
            raise ValueError(f'crop_size must be (height, width) > 0, got '
                             f'{crop_size}')
        self.crop_size = tuple(int(v) for v in crop_size)
        self.pad_val = pad_val

    def _pad(self, arr, value):
        ch, cw = self.crop_size
        pad_h, pad_w = max(ch - arr.shape[0], 0), max(cw - arr.shape[1], 0)
        if pad_h == 0 and pad_w == 0:
            return arr
        widths = [(0, pad_h), (0, pad_w)] + [(0, 0)] * (arr.ndim - 2)
        out = np.pad(arr, widths, mode='constant')
        out[arr.shape[0]:, :] = value
        out[:, arr.shape[1]:] = value
        return out

    def transform(self, results: dict) -> dict:
        """Pad and crop image and label maps at one random offset."""
        img = results['img']
        pad_val = np.asarray(self.pad_val, np.float32)
        results['img'] = self._pad(img, pad_val.astype(img.dtype))
        fields = results.get('seg_fields', [])
        if fields:
            meta = PanopticMetaInfo.of(
                results.get(SAMPLE_KEY), f'{type(self).__name__} input')
        for key in fields:
            results[key] = self._pad(results[key], _seg_pad_value(key, meta))
        ch, cw = self.crop_size
        h, w = results['img'].shape[:2]
        top = np.random.randint(h - ch + 1)
        left = np.random.randint(w - cw + 1)
        results['img'] = results['img'][top:top + ch, left:left + cw]
        for key in results.get('seg_fields', []):
            results[key] = results[key][top:top + ch, left:left + cw]
        results['img_shape'] = (ch, cw)
        return results


@TRANSFORMS.register_module()
class PanopticRandomFlip(BaseTransform):
    """Horizontal flip of the image and every label map.

    Args:
        prob (float): Flip probability.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        """Flip with probability ``prob``."""
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if flip:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
            for key in results.get('seg_fields', []):
                results[key] = np.ascontiguousarray(results[key][:, ::-1])
        return results
