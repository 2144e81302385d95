"""Resize Panoptic-DeepLab predictions, scaling offsets with the pixels."""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F


def upsample_predictions(
        preds: Dict[str, torch.Tensor],
        size: Tuple[int, int],
        align_corners: bool = True) -> Dict[str, torch.Tensor]:
    """Bilinearly upsample head outputs to the (padded) input size.

    As the original's meta-architecture: every map is interpolated with
    ``align_corners``, and ``offset`` is multiplied by the integer factor
    ``(H_in - 1) // (h - 1)`` (4 for a stride-4 head on a ``k * 32 + 1``
    input) so the vectors are in input pixels. With ``align_corners=False``
    (detectron2: ``k * 32`` inputs) the factor is ``H_in // h``.

    Args:
        preds (dict[str, Tensor]): (N, C, h, w) maps; the key ``offset``
            holds (dy, dx).
        size (tuple[int, int]): Target (H_in, W_in).
        align_corners (bool): Of the interpolation.

    Returns:
        dict[str, Tensor]: The same keys at (N, C, H_in, W_in).
    """
    result = {}
    for key, pred in preds.items():
        out = F.interpolate(
            pred, size=size, mode='bilinear', align_corners=align_corners)
        if key == 'offset' and align_corners:
            out = out * ((size[0] - 1) // max(pred.shape[2] - 1, 1))
        elif key == 'offset':
            out = out * (size[0] // pred.shape[2])
        result[key] = out
    return result


def resize_offset(offset: torch.Tensor,
                  size: Tuple[int, int],
                  align_corners: bool = True) -> torch.Tensor:
    """Resize a (N, 2, h, w) (dy, dx) map, rescaling dy and dx.

    Used to go from the network's input size back to ``ori_shape`` when the
    test pipeline resized the image: dy scales with ``(H - 1) / (h - 1)``,
    dx with ``(W - 1) / (w - 1)`` (the ``align_corners=True`` pixel grid;
    ``H / h`` and ``W / w`` with ``align_corners=False``).

    Args:
        offset (Tensor): (N, 2, h, w) float offsets in input pixels.
        size (tuple[int, int]): Target (H, W).
        align_corners (bool): Of the interpolation.

    Returns:
        Tensor: (N, 2, H, W) offsets in target pixels.
    """
    height, width = offset.shape[2:]
    if (height, width) == tuple(size):
        return offset
    out = F.interpolate(
        offset, size=size, mode='bilinear', align_corners=align_corners)
    if align_corners:
        scale_y = (size[0] - 1) / max(height - 1, 1)
        scale_x = (size[1] - 1) / max(width - 1, 1)
    else:
        scale_y, scale_x = size[0] / height, size[1] / width
    scale = out.new_tensor([scale_y, scale_x]).view(1, 2, 1, 1)
    return out * scale
