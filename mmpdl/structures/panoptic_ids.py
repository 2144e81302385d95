"""The panoptic id encodings and the counting done on segment-id maps.

Two encodings meet in mmpdl:

- the COCO-panoptic PNG: segment id = ``R + 256 G + 256^2 B``
  (:func:`rgb_to_id`, :func:`id_to_rgb`);
- mmpdl's panoptic map: ``class * label_divisor + instance``, instance 0
  for stuff and crowd, void ``ignore_index * label_divisor``.

The counting functions take a CPU ``np.ndarray`` or a ``torch.Tensor`` (any
device) and return the same kind: on CPU numpy's ``bincount`` and fancy
indexing are used; on a GPU the tensors stay there. Maps of any integer
dtype (uint8 ... uint64, int8 ... int64, bool) give the same int64 results:
every id these functions compute with goes through :func:`int64_ids` (the
one place that brings ids to a safe dtype and refuses negative ones), so no
arithmetic is done in the input's dtype.

:func:`joint_segment_pairs` counts the pixels of every (segment of map A,
segment of map B) pair. On CPU it first cuts the two maps, in raster order,
into runs of pixels with the same pair (segment maps are piecewise
constant, so a 1024x2048 map has some 10^4-10^5 runs for 2*10^6 pixels) and
counts runs weighted by their lengths; maps with too many runs are counted
pixel by pixel.
"""
from typing import Optional, Tuple, Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]

#: Ids below this value are indexed through a lookup table; larger ones
#: through a sort (``unique``).
MAX_TABLE_ID = 1 << 22
# On CPU, a sort also replaces the table when the largest id exceeds this
# many times the number of values (e.g. a few thousand runs of pixels with
# void at 255000): filling and scanning the table would cost more.
_TABLE_SPAN_PER_VALUE = 16
# Runs are counted instead of pixels while there are at most this fraction
# of the pixels (beyond it, gathering the runs costs more than it saves).
_MAX_RUN_FRACTION = 0.25
#: Default names of the two maps of :func:`joint_segment_pairs` in errors.
PAIR_NAMES = ('map A', 'map B')
# dtypes whose values all fit int64 as non-negative numbers
_SMALL_UNSIGNED = ('bool', 'uint8', 'uint16', 'uint32')


def int64_ids(values: Array, name: str = 'segment map') -> Array:
    """Integer ids of any dtype as int64, refusing what is not an id.

    The counting functions pack ids into one int64 word or multiply them
    (``a * num_b + b``); done in the input's dtype (the int32 maps of
    ``LoadPanopticAnnotations``, a uint8 label map) that overflows into
    wrong ids. Every map they compute with passes through here first.

    Args:
        values (np.ndarray | Tensor): Ids of any integer (or bool) dtype,
            any shape; a tensor may live on any device.
        name (str): The map's name in error messages, e.g.
            ``'gt_panoptic_seg'``.

    Returns:
        np.ndarray | Tensor: The same values, int64, same kind and shape
        (no copy when already int64).

    Raises:
        TypeError: A float, complex or other non-integer dtype.
        ValueError: A negative id, or a uint64 id of 2^63 or more.
    """
    is_torch = isinstance(values, torch.Tensor)
    if is_torch:
        integer = not (values.is_floating_point() or values.is_complex())
        dtype = str(values.dtype).replace('torch.', '')
    else:
        values = np.asarray(values)
        integer = values.dtype.kind in 'biu'
        dtype = values.dtype.name
    if not integer:
        raise TypeError(f'{name} must hold integer ids, got dtype {dtype}; '
                        'segment and panoptic maps are integer arrays.')
    wide = values.long() if is_torch else values.astype(np.int64, copy=False)
    # unsigned ids below 2^63 stay non-negative; only signed maps and
    # uint64 (wrapped above 2^63) need a look
    empty = (wide.numel() if is_torch else wide.size) == 0
    if empty or dtype in _SMALL_UNSIGNED:
        return wide
    low = int(wide.min())
    if low < 0 and dtype == 'uint64':
        raise ValueError(f'{name} has id {low + (1 << 64)}, which does not '
                         'fit int64: segment ids must be below 2^63.')
    if low < 0:
        raise ValueError(f'{name}: segment ids must be non-negative, got '
                         f'{low}.')
    return wide


def rgb_to_id(rgb: np.ndarray, name: str = 'RGB segment map') -> np.ndarray:
    """COCO-panoptic colour -> segment id: ``R + 256 G + 256^2 B``.

    Args:
        rgb (np.ndarray): (H, W, 3) uint8; other integer dtypes are taken
            when every channel lies in ``[0, 255]``.
        name (str): The map's name (e.g. its file) in error messages.

    Returns:
        np.ndarray: (H, W) int64.
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        if rgb.dtype.kind not in 'biu':
            raise TypeError(f'{name} must hold integer colours, got dtype '
                            f'{rgb.dtype}.')
        if rgb.size and (rgb.min() < 0 or rgb.max() > 255):
            bad = rgb.min() if rgb.min() < 0 else rgb.max()
            raise ValueError(f'{name} has colour value {bad}; RGB segment '
                             'ids take channels in [0, 255].')
        rgb = rgb.astype(np.uint8)
    # in-place shifts and ors: no (H, W, 4) copy, no int64 temporaries
    ids = rgb[..., 2].astype(np.int64)
    ids <<= 8
    ids |= rgb[..., 1]
    ids <<= 8
    ids |= rgb[..., 0]
    return ids


def id_to_rgb(ids: Array, name: str = 'segment map') -> np.ndarray:
    """Segment id -> COCO-panoptic colour, the inverse of :func:`rgb_to_id`.

    Args:
        ids (np.ndarray | Tensor): (H, W) integers in ``[0, 2^24)``, any
            integer dtype.
        name (str): The map's name in error messages.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    ids = int64_ids(to_numpy(ids), name)
    if ids.size and ids.max() >= 1 << 24:
        raise ValueError(f'{name}: segment ids must lie in [0, 2^24) to be '
                         f'written as RGB, got {ids.max()}')
    return np.stack([ids % 256, ids // 256 % 256, ids >> 16],
                    axis=-1).astype(np.uint8)


def as_array(seg_map: Array) -> Array:
    """A CPU tensor as a (zero-copy) numpy array; others unchanged."""
    if isinstance(seg_map, torch.Tensor) and seg_map.device.type == 'cpu':
        return seg_map.detach().numpy()
    return seg_map


def dense_segment_ids(seg_map: Array,
                      name: str = 'segment map',
                      with_index: bool = True) -> Tuple[Array, Array]:
    """The distinct ids of a segment map and each pixel's index among them.

    For the usual panoptic ids (``< 2**22``) this is one ``bincount`` and a
    lookup table (linear time); larger ids, and on CPU few values with a
    large id range, go through ``unique`` (a sort).

    Args:
        seg_map (np.ndarray | Tensor): (H, W) or (N,) non-negative integer
            segment ids, any integer dtype (see :func:`int64_ids`).
        name (str): The map's name in error messages.
        with_index (bool): False: ``index`` is None (saves its (H*W,)
            gather when only the ids are needed).

    Returns:
        tuple: ``ids`` (S,) int64, sorted ascending, and ``index`` (H*W,)
        int64 with ``ids[index] == seg_map.flatten()``.
    """
    is_torch = isinstance(seg_map, torch.Tensor)
    flat = int64_ids(seg_map.flatten() if is_torch else np.ravel(seg_map),
                     name)
    if len(flat) == 0:
        return flat, flat if with_index else None
    high = flat.max()
    sparse = not is_torch and int(high) > _TABLE_SPAN_PER_VALUE * len(flat)
    if int(high) >= MAX_TABLE_ID or sparse:
        if is_torch and with_index:
            return torch.unique(flat, return_inverse=True)
        ids = torch.unique(flat) if is_torch else np.unique(flat).astype(
            np.int64)
        return ids, (
            np.searchsorted(ids, flat).astype(np.int64)
            if with_index else None)
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
    return ids, table[flat] if with_index else None


def pair_counts(index_a: Array,
                num_a: int,
                index_b: Array,
                num_b: int,
                weights: Optional[np.ndarray] = None) -> np.ndarray:
    """Pixel counts of every pair ``(a, b)`` with one ``bincount``.

    Args:
        index_a (np.ndarray | Tensor): (P,) integers in ``[0, num_a)``, any
            integer dtype.
        num_a (int): Number of segments of the first map.
        index_b (np.ndarray | Tensor): (P,) integers in ``[0, num_b)``.
        num_b (int): Number of segments of the second map.
        weights (np.ndarray, optional): (P,) int64 pixels each entry stands
            for (numpy inputs only); default 1.

    Returns:
        np.ndarray: (num_a, num_b) int64, entry ``[a, b]`` is the number of
        pixels where the first map is ``a`` and the second ``b``.
    """
    combined = int64_ids(index_a, 'index_a') * num_b
    combined += int64_ids(index_b, 'index_b')
    if isinstance(combined, torch.Tensor):
        counts = torch.bincount(combined, minlength=num_a * num_b)
        return counts.cpu().numpy().reshape(num_a, num_b)
    # float64 sums of integer weights are exact below 2**53 pixels
    counts = np.bincount(combined, weights=weights, minlength=num_a * num_b)
    return counts.astype(np.int64).reshape(num_a, num_b)


def pixel_runs(flat_a: np.ndarray,
               flat_b: np.ndarray) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Runs of consecutive pixels on which both maps keep their values.

    Args:
        flat_a (np.ndarray): (N,) integer ids of map A in raster order.
        flat_b (np.ndarray): (N,) integer ids of map B in raster order.

    Returns:
        tuple | None: ``starts`` (R,) int64 first pixel of each run and
        ``lengths`` (R,) int64 its number of pixels (summing to N); None when
        R exceeds ``_MAX_RUN_FRACTION * N``.
    """
    num = flat_a.size
    change = np.empty(num, dtype=bool)
    change[:1] = True
    np.not_equal(flat_a[1:], flat_a[:-1], out=change[1:])
    other = np.not_equal(flat_b[1:], flat_b[:-1])
    np.logical_or(change[1:], other, out=change[1:])
    starts = np.flatnonzero(change)
    if len(starts) > _MAX_RUN_FRACTION * num:
        return None
    return starts, np.diff(starts, append=num)


def joint_segment_pairs(seg_a: Array, seg_b: Array, names=PAIR_NAMES) -> tuple:
    """Distinct ids of two segment maps and the pixels of each id pair
    that occurs, as a sparse list.

    Numpy inputs are reduced to runs (:func:`pixel_runs`) first, which are
    sorted by pair (:func:`_run_pairs`); tensors (e.g. on a GPU) are
    counted pixel by pixel on their device.

    Args:
        seg_a (np.ndarray | Tensor): (H, W) non-negative integer ids, any
            integer dtype.
        seg_b (np.ndarray | Tensor): (H, W) ids, same kind and shape, any
            integer dtype.
        names (tuple[str, str]): The maps' names in error messages.

    Returns:
        tuple: ``ids_a`` (Sa,) and ``ids_b`` (Sb,) int64 sorted distinct ids
        (same kind as the inputs), then ``rows``, ``cols`` and ``pixels``
        (P,) int64 numpy: the P pairs that occur, ordered by
        ``(rows, cols)``; ``pixels[k]`` pixels have ``seg_a ==
        ids_a[rows[k]]`` and ``seg_b == ids_b[cols[k]]``.
    """
    weights = None
    if not isinstance(seg_a, torch.Tensor):
        seg_a, seg_b = np.ravel(seg_a), np.ravel(seg_b)
        runs = pixel_runs(seg_a, seg_b)
        if runs is not None:
            # a run holds one id of each map: every id is on some run
            starts, weights = runs
            seg_a = int64_ids(seg_a[starts], names[0])
            seg_b = int64_ids(seg_b[starts], names[1])
            found = _run_pairs(seg_a, seg_b, weights)
            if found is not None:
                return found
    ids_a, index_a = dense_segment_ids(seg_a, names[0])
    ids_b, index_b = dense_segment_ids(seg_b, names[1])
    counts = pair_counts(index_a, len(ids_a), index_b, len(ids_b), weights)
    rows, cols = np.nonzero(counts)
    return ids_a, ids_b, rows, cols, counts[rows, cols]


def _run_pairs(run_a: np.ndarray, run_b: np.ndarray,
               lengths: np.ndarray) -> Optional[tuple]:
    """:func:`joint_segment_pairs` of runs, by sorting one word per run.

    Each run becomes the bits of ``(a, b, length)`` in one int64; after a
    sort the runs of one pair are adjacent, in ``(a, b)`` order, and their
    lengths are summed per pair (a plain sort of a few thousand integers
    costs a third of a hashed ``unique``).

    Args:
        run_a (np.ndarray): (R,) non-negative int64 id of map A on each
            run.
        run_b (np.ndarray): (R,) non-negative int64 id of map B on each
            run.
        lengths (np.ndarray): (R,) int64 pixels of each run.

    Returns:
        tuple | None: As :func:`joint_segment_pairs`; None for no runs or
        ids and lengths that need more than 63 bits together (the caller
        then indexes each map's ids separately).
    """
    if not len(run_a):
        return None
    b_bits = int(run_b.max()).bit_length()
    length_bits = int(lengths.max()).bit_length()
    if int(run_a.max()).bit_length() + b_bits + length_bits > 63:
        return None
    words = run_a << (b_bits + length_bits)
    words |= run_b << length_bits
    words |= lengths
    words.sort()
    keys = words >> length_bits
    firsts = np.flatnonzero(_value_starts(keys))
    pixels = np.add.reduceat(words & ((1 << length_bits) - 1), firsts)
    keys = keys[firsts]
    pair_a, pair_b = keys >> b_bits, keys & ((1 << b_bits) - 1)
    new_a = _value_starts(pair_a)  # pair_a is sorted
    rows = np.cumsum(new_a) - 1
    ids_b, cols = np.unique(pair_b, return_inverse=True)
    return pair_a[new_a], ids_b, rows, cols.astype(np.int64), pixels


def _value_starts(values: np.ndarray) -> np.ndarray:
    """(N,) bool: where an (N,) array differs from its previous element
    (always at 0)."""
    new = np.empty(len(values), dtype=bool)
    new[:1] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    return new


def segment_moments(index: np.ndarray, num: int, width: int):
    """Pixel count and coordinate sums of every segment, from row runs.

    A label map is piecewise constant, so it is cut into runs of equal
    segment index within a row; a run of length ``n`` starting at
    ``(y, x)`` adds ``n`` pixels, ``n * y`` to the row sum and
    ``n * x + n (n - 1) / 2`` to the column sum. Integer sums, exact.

    Args:
        index (np.ndarray): (H * W,) segment index of each pixel, raster
            order, values in ``[0, num)``, any integer dtype.
        num (int): Number of segments.
        width (int): Row length W.

    Returns:
        tuple[np.ndarray]: ``area``, ``sum_y``, ``sum_x``, each (num,)
        int64.
    """
    starts_here = _value_starts(index)
    starts_here[::width] = True
    starts = np.flatnonzero(starts_here)
    lengths = np.diff(starts, append=index.size)
    seg = int64_ids(index[starts], 'segment index')
    if len(seg) and seg.max() >= num:
        raise ValueError(f'segment index {seg.max()} is not below the '
                         f'number of segments {num}.')
    row, col = np.divmod(starts, width)
    sums = [
        np.bincount(seg, weights, minlength=num)
        for weights in (lengths, lengths * row,
                        lengths * col + lengths * (lengths - 1) // 2)
    ]
    # float64 bincount sums of integers are exact below 2^53
    return tuple(np.rint(value).astype(np.int64) for value in sums)


def to_numpy(value: Array) -> np.ndarray:
    """Any array or tensor as a CPU numpy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)
