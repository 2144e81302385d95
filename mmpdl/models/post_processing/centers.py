"""Instance centers from the predicted heatmap, as the original finds them:
threshold (values below become -1), max-pool NMS keeping pixels equal to
their pooled value, then at most ``top_k`` centers. The k x k max-pool is
computed separably (rows then columns) by :func:`window_max`."""
from typing import List, Optional

import torch
import torch.nn.functional as F


def window_max(x: torch.Tensor, kernel: int, dim: int) -> torch.Tensor:
    """Centred sliding-window maximum along one dimension, ``-inf`` beyond
    the edges: the values of a stride-1 ``max_pool`` with ``kernel // 2``
    padding along ``dim``.

    Built from ``torch.maximum`` of shifted views (windows of 1, 2, 4, ...
    then one overlapping step up to ``kernel``): 3 passes for a 7-wide
    window instead of a pooling kernel; max being exact, the values are
    ``F.max_pool2d``'s.

    The eager post-processing and the exported one
    (:mod:`.fixed_shape`) both use it. The views are slices with constant
    bounds (``[:-step]``, ``[step:]``), which the TorchScript ONNX exporter
    records as ``Slice`` nodes with constant ends for any image size; views
    whose length is computed from ``x.size(dim)`` export too, but add
    ``Shape``/``Gather``/``Sub`` arithmetic to the graph (154 instead of 100
    nodes for one 7x7 pooling, opset 17).

    Args:
        x (Tensor): (..., L, ...) float.
        kernel (int): Odd window size.
        dim (int): Non-negative dimension to slide along.

    Returns:
        Tensor: Same shape as ``x``.
    """
    pad = kernel // 2
    padding = [0, 0] * (x.dim() - 1 - dim) + [pad, pad]
    window = F.pad(x, padding, value=float('-inf'))
    length = 1  # window holds maxima over ``length`` consecutive values
    while length < kernel:
        step = min(length, kernel - length)
        head = (slice(None), ) * dim + (slice(None, -step), )
        tail = (slice(None), ) * dim + (slice(step, None), )
        window = torch.maximum(window[head], window[tail])
        length += step
    return window


def find_instance_centers(center_heatmap: torch.Tensor,
                          threshold: float = 0.1,
                          nms_kernel: int = 7,
                          top_k: Optional[int] = 200) -> List[torch.Tensor]:
    """Centers of a batch of heatmaps.

    Args:
        center_heatmap (Tensor): (N, 1, H, W) float heatmaps.
        threshold (float): Scores <= threshold are dropped.
        nms_kernel (int): Max-pool window (odd).
        top_k (int, optional): With more candidates than this, keep those
            scoring strictly above the ``top_k``-th largest score (the
            original's rule; it can keep fewer than ``top_k``).

    Returns:
        list[Tensor]: Per image a (K, 2) int64 tensor of (y, x) in raster
        order.
    """
    if center_heatmap.dim() != 4 or center_heatmap.size(1) != 1:
        raise ValueError('center_heatmap must be (N, 1, H, W), got '
                         f'{tuple(center_heatmap.shape)}')
    if nms_kernel < 1 or nms_kernel % 2 == 0:
        raise ValueError(f'nms_kernel must be a positive odd number, got '
                         f'{nms_kernel}')
    scores = F.threshold(center_heatmap, threshold, -1)
    pooled = window_max(window_max(scores, nms_kernel, 3), nms_kernel, 2)
    scores = torch.where(scores == pooled, scores, scores.new_tensor(-1.))
    centers = []
    for score in scores[:, 0]:
        kept = torch.nonzero(score > 0)
        if top_k is not None and kept.size(0) >= top_k:
            kth = torch.topk(score.flatten(), top_k).values[-1]
            kept = torch.nonzero(score > kth)
        centers.append(kept)
    return centers
