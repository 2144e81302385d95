"""Assign thing pixels to their nearest center after adding the offset.

The original ranks centers by ``torch.norm`` of (center - (pixel + offset)).
``torch.norm`` over a size-2 dimension is slow on CPU, so the ranking here
uses squared distances
``dy * dy + dx * dx`` in small, cache-sized chunks, and a pixel whose best
and second-best squared distances are within rounding error of each other
(relative gap <= ``AMBIGUOUS_RTOL``) is ranked again with ``torch.norm``
exactly as the original does. Rounding changes a float32 square or norm by
a few 1e-7 relative, far below the 1e-5 gap, so every other pixel has the
same nearest center under both rankings: the result equals the original's,
ties included (first center wins).
"""
import torch

#: (centers x pixels) pairs per chunk: CPU chunks stay in the cache (2^19
#: float32 = 2 MB per temporary); a GPU prefers few large launches.
CPU_PAIRS_PER_CHUNK = 1 << 19
CUDA_PAIRS_PER_CHUNK = 1 << 24
#: Relative gap of squared distances under which the exact norm decides.
AMBIGUOUS_RTOL = 1e-5
#: Absolute gap for distances near zero.
AMBIGUOUS_ATOL = 1e-6


def _nearest_center(centers: torch.Tensor,
                    locations: torch.Tensor) -> torch.Tensor:
    """Index of the nearest center of each location (first one on ties).

    Args:
        centers (Tensor): (K, 2) float (y, x).
        locations (Tensor): (P, 2) float (y, x), same dtype.

    Returns:
        Tensor: (P,) int64 in ``[0, K)``.
    """
    dy = centers[:, :1] - locations[:, 0]
    dx = centers[:, 1:] - locations[:, 1]
    dist2 = dy.mul_(dy).addcmul_(dx, dx)  # (K, P)
    best, index = dist2.min(0)
    near_best = dist2 <= best * (1 + AMBIGUOUS_RTOL) + AMBIGUOUS_ATOL
    ambiguous = torch.nonzero(near_best.sum(0) > 1).squeeze(1)
    if ambiguous.numel():
        exact = torch.norm(
            centers[:, None] - locations[ambiguous][None], dim=-1)
        index[ambiguous] = exact.argmin(0)
    return index


def group_thing_pixels(centers: torch.Tensor, offsets: torch.Tensor,
                       thing_mask: torch.Tensor) -> torch.Tensor:
    """Instance id (1-based index of the nearest center) of thing pixels.

    Gives exactly the original's ``group_pixels`` result (see the module
    docstring); only thing pixels are computed, in chunks that bound memory
    (a few MB on CPU, ~200 MB on a GPU, whatever the image size).

    Args:
        centers (Tensor): (K, 2) int64 (y, x), K >= 1.
        offsets (Tensor): (2, H, W) float (dy, dx).
        thing_mask (Tensor): (H, W) bool.

    Returns:
        Tensor: (H, W) int64, 0 off the thing mask.
    """
    height, width = thing_mask.shape
    flat = torch.nonzero(thing_mask.flatten()).squeeze(1)
    instance = torch.zeros(
        height * width, dtype=torch.long, device=offsets.device)
    if flat.numel() == 0:
        return instance.view(height, width)
    ys = (flat // width).to(offsets.dtype)
    xs = (flat % width).to(offsets.dtype)
    flat_offsets = offsets.reshape(2, -1)[:, flat]
    locations = torch.stack((ys + flat_offsets[0], xs + flat_offsets[1]), 1)
    pairs = (CUDA_PAIRS_PER_CHUNK if offsets.is_cuda else CPU_PAIRS_PER_CHUNK)
    chunk = max(1, pairs // centers.size(0))
    centers = centers.to(offsets.dtype)
    for start in range(0, locations.size(0), chunk):
        nearest = _nearest_center(centers, locations[start:start + chunk])
        instance[flat[start:start + chunk]] = nearest + 1
    return instance.view(height, width)
