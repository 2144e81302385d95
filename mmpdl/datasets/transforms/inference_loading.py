"""``LoadInferenceImage``: the image loader of every inference pipeline
(``inference_model``, ``PanopticInferencer`` and its exported backends).

What is accepted, and the one rule that brings it to what the model was
trained on, (H, W, 3) uint8 BGR:

- a file path: read by OpenCV as the config's ``LoadImageFromFile`` does
  (with its default ``color_type='color'``, an RGBA file loses its alpha,
  a grayscale file is repeated into three channels and a 16-bit file is
  read as its upper 8 bits);
- an (H, W, 3) uint8 array: taken as BGR (``cv2.imread``, ``mmcv.imread``);
- an (H, W, 4) uint8 array: BGRA (``cv2.imread(path,
  cv2.IMREAD_UNCHANGED)``); the alpha channel is dropped;
- an (H, W) or (H, W, 1) uint8 array: grayscale, repeated into B, G, R;
- anything else is refused, naming what it got: uint16 and float arrays
  have no one unambiguous scale (12- or 16-bit? 0-1 or 0-255?), so the
  caller converts them (the message says how).
"""
from typing import Union

import numpy as np
from mmseg.datasets.transforms.loading import InferencerLoader

from mmpdl.registry import TRANSFORMS

#: What inference takes, for error messages.
ACCEPTED = ('an image file path or a uint8 BGR array of shape (H, W, 3), '
            '(H, W, 4) (BGRA, alpha dropped), (H, W) or (H, W, 1) '
            '(grayscale)')


def to_bgr_uint8(image: np.ndarray, name: str = 'the input array'):
    """An inference input array as (H, W, 3) uint8 BGR, by the rule of
    this module; refuses what that rule does not cover.

    Args:
        image (np.ndarray): (H, W, 3) uint8 BGR, (H, W, 4) uint8 BGRA,
            (H, W) or (H, W, 1) uint8 grayscale.
        name (str): The input's name in error messages.

    Returns:
        np.ndarray: (H, W, 3) uint8 BGR; ``image`` itself when it is one.

    Raises:
        TypeError: Not a numpy array.
        ValueError: Another dtype, channel count or an empty image.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f'inference takes {ACCEPTED}; got '
                        f'{type(image).__name__} for {name}')
    if image.dtype != np.uint8:
        raise ValueError(
            f'{name} has dtype {image.dtype}; inference takes {ACCEPTED}. '
            'Convert it with the scale it was made with, e.g. '
            '(img >> 8).astype(np.uint8) for 16-bit data (what OpenCV does '
            'when it reads a 16-bit file), np.clip(img * 255, 0, 255)'
            '.round().astype(np.uint8) for floats in [0, 1]; or pass the '
            'image file path.')
    shape = image.shape
    if image.ndim == 3 and shape[2] in (1, 3, 4):
        channels = shape[2]
    elif image.ndim == 2:
        channels = 1
    else:
        raise ValueError(f'{name} has shape {shape}; inference takes '
                         f'{ACCEPTED}.')
    if not image.size:
        raise ValueError(f'{name} is empty (shape {shape}).')
    if channels == 3:
        return image
    if channels == 4:
        return np.ascontiguousarray(image[..., :3])
    gray = image.reshape(shape[0], shape[1], 1)
    return np.ascontiguousarray(np.repeat(gray, 3, axis=2))


@TRANSFORMS.register_module()
class LoadInferenceImage(InferencerLoader):
    """Load an inference input: a path, an array, or a results dict with
    ``img_path`` or ``img``; arrays go through :func:`to_bgr_uint8`.

    The inference pipeline (:func:`mmpdl.apis.inference_pipeline_cfg`)
    puts it in place of the config's image loader, keeping that loader's
    arguments (``to_float32``, ``color_type``, ``imdecode_backend``,
    ``backend_args``) for files; ``to_float32`` applies to arrays too.

    Required keys: ``img_path`` or ``img``. Added keys: ``img`` ((H, W, 3)
    uint8 BGR, float32 with ``to_float32``), ``img_path`` (None for
    arrays), ``img_shape``, ``ori_shape``.
    """

    def transform(self, single_input: Union[str, np.ndarray, dict]) -> dict:
        """Load one input; see the class docstring."""
        if isinstance(single_input, np.ndarray):
            single_input = dict(img=single_input)
        elif not isinstance(single_input, (str, dict)):
            raise TypeError(f'inference takes {ACCEPTED}; got '
                            f'{type(single_input).__name__}')
        if isinstance(single_input, dict) and 'img' in single_input:
            single_input = dict(
                single_input, img=to_bgr_uint8(single_input['img']))
        return super().transform(single_input)
