"""Relabel segment ids densely and count pairs of segments in one pass.

The functions take a CPU ``np.ndarray`` or a ``torch.Tensor`` (any device)
and return the same kind: on CPU numpy's ``bincount`` and fancy indexing
are about ten times faster than torch's; on a GPU the tensors stay there.
"""
from typing import Tuple, Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]

# Above this id a lookup table would be too large; a sort is used instead.
_MAX_TABLE_ID = 1 << 22


def as_array(seg_map: Array) -> Array:
    """A CPU tensor as a (zero-copy) numpy array; others unchanged."""
    if isinstance(seg_map, torch.Tensor) and seg_map.device.type == 'cpu':
        return seg_map.detach().numpy()
    return seg_map


def dense_segment_ids(seg_map: Array) -> Tuple[Array, Array]:
    """The distinct ids of a segment map and each pixel's index among them.

    For the usual panoptic ids (``< 2**22``) this is one ``bincount`` and a
    lookup table (linear time); larger ids fall back to ``unique``.

    Args:
        seg_map (np.ndarray | Tensor): (H, W) or (N,) non-negative integer
            segment ids.

    Returns:
        tuple: ``ids`` (S,) int64, sorted ascending, and ``index`` (H*W,)
        int64 with ``ids[index] == seg_map.flatten()``.
    """
    is_torch = isinstance(seg_map, torch.Tensor)
    if is_torch:
        flat = seg_map.flatten().long()
    else:
        flat = np.ravel(seg_map).astype(np.int64, copy=False)
    if len(flat) == 0:
        return flat, flat
    low, high = (torch.aminmax(flat) if is_torch else (flat.min(), flat.max()))
    if int(low) < 0:
        raise ValueError(f'Segment ids must be non-negative, got {int(low)}.')
    if int(high) >= _MAX_TABLE_ID:
        if is_torch:
            return torch.unique(flat, return_inverse=True)
        ids, index = np.unique(flat, return_inverse=True)
        return ids.astype(np.int64), index.ravel().astype(np.int64)
    if is_torch:
        counts = torch.bincount(flat)
        ids = torch.nonzero(counts).flatten()
        table = torch.zeros_like(counts)
        table[ids] = torch.arange(len(ids), device=flat.device)
    else:
        counts = np.bincount(flat)
        ids = np.flatnonzero(counts)
        table = np.zeros(len(counts), dtype=np.int64)
        table[ids] = np.arange(len(ids))
    return ids, table[flat]


def pair_counts(index_a: Array, num_a: int, index_b: Array,
                num_b: int) -> np.ndarray:
    """Pixel counts of every pair ``(a, b)`` with one ``bincount``.

    Args:
        index_a (np.ndarray | Tensor): (P,) int64 in ``[0, num_a)``.
        num_a (int): Number of segments of the first map.
        index_b (np.ndarray | Tensor): (P,) int64 in ``[0, num_b)``.
        num_b (int): Number of segments of the second map.

    Returns:
        np.ndarray: (num_a, num_b) int64, entry ``[a, b]`` is the number of
        pixels where the first map is ``a`` and the second ``b``.
    """
    combined = index_a * num_b + index_b
    if isinstance(combined, torch.Tensor):
        counts = torch.bincount(combined, minlength=num_a * num_b)
        return counts.cpu().numpy().reshape(num_a, num_b)
    counts = np.bincount(combined, minlength=num_a * num_b)
    return counts.astype(np.int64).reshape(num_a, num_b)


def to_numpy(value: Array) -> np.ndarray:
    """Any array or tensor as a CPU numpy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)
