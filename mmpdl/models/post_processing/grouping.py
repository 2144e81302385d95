"""Assign thing pixels to their nearest center after adding the offset."""
import torch

#: Upper bound of (centers x pixels) distances computed at once: 2^24
#: float32 distances plus their (y, x) differences stay under ~200 MB.
MAX_PAIRS_PER_CHUNK = 1 << 24


def group_thing_pixels(centers: torch.Tensor, offsets: torch.Tensor,
                       thing_mask: torch.Tensor) -> torch.Tensor:
    """Instance id (1-based index of the nearest center) of thing pixels.

    The distance is ``torch.norm`` of (center - (pixel + offset)) in the
    offsets' dtype, and ties go to the first center, exactly as the
    original's ``group_pixels``; only thing pixels are computed, in chunks
    that bound memory.

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
    chunk = max(1, MAX_PAIRS_PER_CHUNK // centers.size(0))
    ctr = centers.unsqueeze(1)
    for start in range(0, locations.size(0), chunk):
        loc = locations[start:start + chunk].unsqueeze(0)
        distance = torch.norm(ctr - loc, dim=-1)
        instance[flat[start:start + chunk]] = distance.argmin(0) + 1
    return instance.view(height, width)
