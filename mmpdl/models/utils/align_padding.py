"""Pad inputs to sizes where ``align_corners=True`` upsampling is exact."""
from typing import Tuple

import torch
import torch.nn.functional as F


def aligned_size(size: int, size_divisor: int) -> int:
    """Smallest ``k * size_divisor + 1 >= size``.

    With ``align_corners=True`` bilinear upsampling a feature map of
    ``k * s + 1`` pixels maps exactly onto ``k * s * d + 1`` input pixels,
    which is why the original trains on 1025x2049 crops of 1024x2048 images.

    Args:
        size (int): Height or width of the input.
        size_divisor (int): The network's largest stride (32).

    Returns:
        int: The padded size.
    """
    if size < 1:
        raise ValueError(f'aligned_size: size must be >= 1, got {size}')
    return -(-(size - 1) // size_divisor) * size_divisor + 1


def pad_to_aligned(inputs: torch.Tensor,
                   size_divisor: int,
                   value: float = 0.0) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Pad the bottom/right of ``inputs`` to :func:`aligned_size` sizes.

    Args:
        inputs (Tensor): (N, C, H, W) normalised images (0 = the mean
            pixel, which is what the original pads crops with).
        size_divisor (int): The network's largest stride.
        value (float): Padding value. Defaults to 0.

    Returns:
        tuple[Tensor, tuple[int, int]]: The (N, C, H', W') padded batch and
        the original (H, W).
    """
    height, width = inputs.shape[-2:]
    pad_h = aligned_size(height, size_divisor) - height
    pad_w = aligned_size(width, size_divisor) - width
    if pad_h or pad_w:
        inputs = F.pad(inputs, (0, pad_w, 0, pad_h), value=value)
    return inputs, (height, width)
