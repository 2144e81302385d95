"""Instance centers from the predicted heatmap, as the original finds them:
threshold (values below become -1), max-pool NMS keeping pixels equal to
their pooled value, then at most ``top_k`` centers."""
from typing import List, Optional

import torch
import torch.nn.functional as F


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
    # a k x k max-pool is a 1 x k then a k x 1 one (max is separable and
    # both pad with -inf): the same values at half the cost on CPU
    pad = nms_kernel // 2
    pooled = F.max_pool2d(scores, (1, nms_kernel), 1, (0, pad))
    pooled = F.max_pool2d(pooled, (nms_kernel, 1), 1, (pad, 0))
    scores = torch.where(scores == pooled, scores, scores.new_tensor(-1.))
    centers = []
    for score in scores[:, 0]:
        kept = torch.nonzero(score > 0)
        if top_k is not None and kept.size(0) >= top_k:
            kth = torch.topk(score.flatten(), top_k).values[-1]
            kept = torch.nonzero(score > kth)
        centers.append(kept)
    return centers
