"""Pad inputs to sizes where bilinear upsampling of the outputs is exact."""
from typing import Tuple

import torch
import torch.nn.functional as F


def aligned_size(size: int,
                 size_divisor: int,
                 align_corners: bool = True) -> int:
    """Smallest ``k * size_divisor + 1 >= size`` (``k * size_divisor`` when
    ``align_corners`` is False).

    With ``align_corners=True`` bilinear upsampling a feature map of
    ``k * s + 1`` pixels maps exactly onto ``k * s * d + 1`` input pixels,
    which is why the original trains on 1025x2049 crops of 1024x2048 images.
    With ``align_corners=False`` (detectron2) ``k * s`` pixels map onto
    ``k * s * d``: detectron2 pads to multiples of its size divisibility.

    Args:
        size (int): Height or width of the input.
        size_divisor (int): The network's largest stride (32), or a larger
            multiple of it to pad every input to a fixed size.
        align_corners (bool): Of the model's upsampling. Defaults to True.

    Returns:
        int: The padded size.
    """
    if size < 1:
        raise ValueError(f'aligned_size: size must be >= 1, got {size}')
    extra = 1 if align_corners else 0
    return -(-(size - extra) // size_divisor) * size_divisor + extra


def pad_to_aligned(
        inputs: torch.Tensor,
        size_divisor: int,
        value: float = 0.0,
        align_corners: bool = True) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Pad the bottom/right of ``inputs`` to :func:`aligned_size` sizes.

    Args:
        inputs (Tensor): (N, C, H, W) normalised images (0 = the mean
            pixel, which is what the original pads crops with).
        size_divisor (int): The network's largest stride.
        value (float): Padding value. Defaults to 0.
        align_corners (bool): Of the model's upsampling. Defaults to True.

    Returns:
        tuple[Tensor, tuple[int, int]]: The (N, C, H', W') padded batch and
        the original (H, W).
    """
    height, width = inputs.shape[-2:]
    pad_h = aligned_size(height, size_divisor, align_corners) - height
    pad_w = aligned_size(width, size_divisor, align_corners) - width
    if pad_h or pad_w:
        inputs = F.pad(inputs, (0, pad_w, 0, pad_h), value=value)
    return inputs, (height, width)
