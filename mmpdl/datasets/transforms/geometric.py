"""Random scale, crop (with padding) and flip that move every label map
listed in ``results['seg_fields']`` together with the image.

Options reproduce each reference's arithmetic exactly (so that the same
draws give the same pixels, ``mmpdl/testing/training_parity.py``): the
original resizes the image as float64 and truncates back
(``float_image=True``) and places an image smaller than the crop at a random
position (``random_pad=True``); detectron2 resizes with Pillow
(``backend='pillow'``: bilinear with its antialiasing support on
downscaling, nearest for labels) and crops without padding (``pad=False``;
its batch is padded after normalisation).
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

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
    the original's ``RandomScale`` (``cv2.resize`` with ``fx = fy``). The
    factor is one of ``linspace(min, max, round((max - min) / step) + 1)``
    (16 factors 0.5, 0.6, ..., 2.0 by default), each with the same
    probability, as the original's ``get_random_scale``.

    Args:
        ratio_range (tuple[float, float]): Smallest and largest factor.
        step (float): Factor step; 0 draws uniformly from the range.
        float_image (bool): Resize the image as float64 and cast the result
            back to its dtype (truncating, for uint8), as the original does
            (``cv2.resize(image.astype(np.float))`` then ``.astype(uint8)``);
            False resizes the uint8 image directly (cv2 rounds). Label maps
            are unaffected (nearest neighbour gives the same pixels).
    """

    def __init__(self,
                 ratio_range=(0.5, 2.0),
                 step: float = 0.1,
                 float_image: bool = False) -> None:
        low, high = ratio_range
        if not 0 < low <= high:
            raise ValueError(f'ratio_range must satisfy 0 < min <= max, got '
                             f'{ratio_range}')
        self.ratio_range = (low, high)
        self.step = step
        self.float_image = float_image

    def scale_factors(self) -> np.ndarray:
        """(K,) float64: the factors drawn from (``step > 0``)."""
        low, high = self.ratio_range
        count = int(round((high - low) / self.step)) + 1
        return np.linspace(low, high, count)

    def _draw(self) -> float:
        low, high = self.ratio_range
        if self.step <= 0:
            return float(np.random.uniform(low, high))
        factors = self.scale_factors()
        return float(factors[np.random.randint(len(factors))])

    def transform(self, results: dict) -> dict:
        """Resize image and label maps by one random factor."""
        scale = self._draw()
        img = results['img']
        source = img.astype(np.float64) if self.float_image else img
        resized = cv2.resize(
            source, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        results['img'] = resized.astype(img.dtype, copy=False)
        for key in results.get('seg_fields', []):
            results[key] = cv2.resize(
                results[key],
                None,
                fx=scale,
                fy=scale,
                interpolation=cv2.INTER_NEAREST)
        _record_resize(results, img.shape[:2])
        return results


def pillow_resize(arr: np.ndarray, size, resample) -> np.ndarray:
    """Resize an (H, W) or (H, W, 3) array with Pillow, as detectron2's
    ``ResizeTransform`` does for uint8 images (``Image.fromarray(img)
    .resize((w, h), resample)``).

    Args:
        arr (np.ndarray): uint8 (H, W) / (H, W, 3), or an (H, W) integer
            label map whose values fit int32 (Pillow mode ``I``; with
            nearest neighbour Pillow picks the same source pixels in every
            mode).
        size (tuple[int, int]): (new height, new width).
        resample: A Pillow filter, e.g. ``Image.BILINEAR``.

    Returns:
        np.ndarray: The resized array, of ``arr``'s dtype.
    """
    height, width = size
    if arr.dtype == np.uint8:
        image = Image.fromarray(np.ascontiguousarray(arr))
    elif arr.ndim == 2 and np.issubdtype(arr.dtype, np.integer):
        image = Image.fromarray(np.ascontiguousarray(arr, dtype=np.int32))
    else:
        raise TypeError('Pillow resizing takes uint8 images or 2-D integer '
                        f'label maps, got {arr.dtype} {arr.shape}')
    return np.asarray(image.resize((width, height), resample)).astype(
        arr.dtype, copy=False)


@TRANSFORMS.register_module()
class PanopticResizeShortestEdge(BaseTransform):
    """Resize so that the short side has a length drawn from
    ``short_edge_lengths``, unless the long side would then exceed
    ``max_size``: then the long side is ``max_size`` (aspect ratio kept).

    This is detectron2's ``ResizeShortestEdge`` with ``sample_style=
    'choice'``: for an (h, w) input and a drawn length ``s`` the short side
    becomes ``s`` and the long one ``long * s / short``; when that exceeds
    ``max_size`` both are multiplied by ``max_size / long``; each side is
    then ``int(side + 0.5)`` (detectron2's arithmetic, in its order). The
    draw is ``np.random.randint(len(short_edge_lengths))``, which is what
    detectron2's ``np.random.choice`` draws. The image is resized
    bilinearly, label maps (``seg_fields``) with nearest neighbour, by
    Pillow as detectron2 (``backend='pillow'``) or by cv2. One length and
    ``max_size`` equal to it give the usual test resize to a long side
    (e.g. 640 and 640 for COCO).

    Args:
        short_edge_lengths (Sequence[int]): Candidate short-side lengths,
            drawn uniformly.
        max_size (int): Upper bound of the long side.
        backend (str): ``'cv2'`` (``cv2.resize``, INTER_LINEAR /
            INTER_NEAREST) or ``'pillow'`` (detectron2's ``Image.resize``
            with BILINEAR / NEAREST: bilinear widens its support when
            downscaling, cv2 does not).
    """

    def __init__(self,
                 short_edge_lengths,
                 max_size: int,
                 backend: str = 'cv2') -> None:
        lengths = [int(v) for v in short_edge_lengths]
        if not lengths or min(lengths) < 1 or max_size < 1:
            raise ValueError('short_edge_lengths must be positive lengths and '
                             f'max_size > 0, got {short_edge_lengths}, '
                             f'{max_size}')
        if backend not in ('cv2', 'pillow'):
            raise ValueError(f"backend must be 'cv2' or 'pillow', got "
                             f'{backend!r}')
        self.short_edge_lengths = lengths
        self.max_size = int(max_size)
        self.backend = backend

    @staticmethod
    def output_size(height: int, width: int, short: int, max_size: int):
        """(new height, new width) of an (height, width) input."""
        scale = short / min(height, width)
        if height < width:
            new_h, new_w = short, scale * width
        else:
            new_h, new_w = scale * height, short
        if max(new_h, new_w) > max_size:
            scale = max_size / max(new_h, new_w)
            new_h, new_w = new_h * scale, new_w * scale
        return int(new_h + 0.5), int(new_w + 0.5)

    def _resize(self, arr, size, is_label):
        if self.backend == 'pillow':
            return pillow_resize(arr, size,
                                 Image.NEAREST if is_label else Image.BILINEAR)
        return cv2.resize(
            arr,
            size[::-1],
            interpolation=cv2.INTER_NEAREST if is_label else cv2.INTER_LINEAR)

    def transform(self, results: dict) -> dict:
        """Resize image and label maps to one drawn short side."""
        img = results['img']
        short = self.short_edge_lengths[np.random.randint(
            len(self.short_edge_lengths))]
        size = self.output_size(*img.shape[:2], short, self.max_size)
        results['img'] = self._resize(img, size, False)
        for key in results.get('seg_fields', []):
            results[key] = self._resize(results[key], size, True)
        _record_resize(results, img.shape[:2])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(short_edge_lengths='
                f'{self.short_edge_lengths}, max_size={self.max_size}, '
                f'backend={self.backend!r})')


@TRANSFORMS.register_module()
class PanopticRandomCrop(BaseTransform):
    """Pad to at least ``crop_size``, then crop randomly.

    The image is padded with ``pad_val`` (the mean pixel, so that it
    normalises to about 0; cast to the image's dtype, so 103.53 pads 103 in
    a uint8 image, as the original's ``int(mean * 255)``), label maps with
    ignore / void; ``ignore_index`` and ``label_divisor`` (the void value)
    are the dataset's, read from ``results``. The crop offset is drawn
    uniformly: ``top = np.random.randint(H - crop_h + 1)``, then ``left``.

    An image smaller than the crop is padded at the bottom/right (deeplab2),
    or with ``random_pad=True`` (the original's training crop) at a random
    position: ``pad_top = np.random.randint(pad_h + 1)`` and ``pad_left``
    likewise are drawn first (both whenever any side needs padding), the
    rest goes to the bottom/right. With ``pad=False`` (detectron2's
    ``RandomCrop('absolute')``) it is not padded: the crop is ``min(crop,
    size)``, at the same draws; the data preprocessor then pads the
    normalised batch with 0 (its ``size_divisor``) and the model the
    targets, after the flip, as detectron2 pads its batch.

    Args:
        crop_size (tuple[int, int]): (height, width).
        pad_val (float | tuple): Image padding value (BGR order).
        random_pad (bool): Place a smaller image at a random position.
        pad (bool): Pad a smaller image to the crop size.
    """

    def __init__(self,
                 crop_size,
                 pad_val=(103.53, 116.28, 123.675),
                 random_pad: bool = False,
                 pad: bool = True) -> None:
        if len(crop_size) != 2 or min(crop_size) < 1:
            raise ValueError(f'crop_size must be (height, width) > 0, got '
                             f'{crop_size}')
        if random_pad and not pad:
            raise ValueError('random_pad=True needs pad=True')
        self.crop_size = tuple(int(v) for v in crop_size)
        self.pad_val = pad_val
        self.random_pad = random_pad
        self.pad = pad

    def _draw_padding(self, height: int, width: int):
        """(top, bottom, left, right) padding of an (height, width) image."""
        if not self.pad:
            return 0, 0, 0, 0
        ch, cw = self.crop_size
        pad_h, pad_w = max(ch - height, 0), max(cw - width, 0)
        top = left = 0
        if self.random_pad and (pad_h or pad_w):
            top = np.random.randint(pad_h + 1)
            left = np.random.randint(pad_w + 1)
        return top, pad_h - top, left, pad_w - left

    @staticmethod
    def _pad(arr, value, padding):
        top, bottom, left, right = padding
        if not any(padding):
            return arr
        height, width = arr.shape[:2]
        out = np.empty(
            (height + top + bottom, width + left + right) + arr.shape[2:],
            arr.dtype)
        out[...] = value
        out[top:top + height, left:left + width] = arr
        return out

    def transform(self, results: dict) -> dict:
        """Pad and crop image and label maps at one random offset."""
        img = results['img']
        padding = self._draw_padding(*img.shape[:2])
        pad_val = np.asarray(self.pad_val, np.float32)
        results['img'] = self._pad(img, pad_val.astype(img.dtype), padding)
        fields = results.get('seg_fields', [])
        if fields and any(padding):
            meta = PanopticMetaInfo.of(
                results.get(SAMPLE_KEY), f'{type(self).__name__} input')
            for key in fields:
                results[key] = self._pad(results[key],
                                         _seg_pad_value(key, meta), padding)
        h, w = results['img'].shape[:2]
        ch, cw = min(self.crop_size[0], h), min(self.crop_size[1], w)
        top = np.random.randint(h - ch + 1)
        left = np.random.randint(w - cw + 1)
        results['img'] = results['img'][top:top + ch, left:left + cw]
        for key in fields:
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
