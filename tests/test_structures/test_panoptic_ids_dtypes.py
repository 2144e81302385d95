"""Every id helper gives the int64 result for every integer dtype of its
maps (numpy arrays and CPU tensors), on Cityscapes-size maps with ids up to
255000 and on COCO RGB ids up to 256^3 - 1; bad ids are refused with the
map's name and the value.

The oracles are numpy's ``unique`` on int64 copies of the maps (ids,
inverse index, pixels of every (a, b) pair) and per-pixel ``bincount`` sums.
"""
import numpy as np
import pytest
import torch

from mmpdl.structures.panoptic_ids import (dense_segment_ids, id_to_rgb,
                                           joint_segment_pairs, pair_counts,
                                           rgb_to_id, segment_moments)

DTYPES = (np.uint8, np.uint16, np.uint32, np.uint64, np.int16, np.int32,
          np.int64)
CITYSCAPES = (1024, 2048)
#: (name, map size, largest id): Cityscapes panoptic ids (void 255000),
#: COCO RGB ids, ids of a label_divisor of 100, of a label_divisor of 10
ID_RANGES = (
    ('cityscapes', CITYSCAPES, 255000),
    ('coco', (480, 640), (1 << 24) - 1),
    ('divisor100', CITYSCAPES, 25500),
    ('divisor10', CITYSCAPES, 250),
)


def _fitting(max_id):
    """The dtypes that hold ids up to ``max_id``."""
    return [d for d in DTYPES if np.iinfo(d).max >= max_id]


def _blocky_map(rng, shape, max_id, count=60):
    """(H, W) int64: random rectangles of random ids in ``[0, max_id]``
    (``max_id`` itself included) over a background of id ``max_id // 3``."""
    height, width = shape
    seg = np.full(shape, max_id // 3, dtype=np.int64)
    values = rng.integers(0, max_id, count, endpoint=True)
    values[0] = max_id
    for value in values:
        h = rng.integers(height // 20, height // 3)
        w = rng.integers(width // 20, width // 3)
        y, x = rng.integers(0, height - h), rng.integers(0, width - w)
        seg[y:y + h, x:x + w] = value
    return seg


def _maps(id_range, seed=0):
    _, shape, max_id = id_range
    rng = np.random.default_rng(seed)
    seg_a = _blocky_map(rng, shape, max_id)
    seg_b = np.roll(_blocky_map(rng, shape, max_id), 7, axis=1)
    corner = (slice(shape[0] // 4), slice(shape[1] // 4))
    seg_b[corner] = seg_a[corner]  # pairs of equal ids too
    return seg_a, seg_b


def _as(seg, dtype, kind):
    seg = seg.astype(dtype)
    return torch.from_numpy(seg) if kind == 'torch' else seg


def _reference_pairs(seg_a, seg_b):
    """(ids_a, ids_b, rows, cols, pixels) by numpy's unique on int64 keys
    ``a * 2^25 + b`` (ids below 2^25)."""
    ids_a, ids_b = np.unique(seg_a), np.unique(seg_b)
    keys, pixels = np.unique(
        seg_a.astype(np.int64) * (1 << 25) + seg_b, return_counts=True)
    rows = np.searchsorted(ids_a, keys >> 25)
    cols = np.searchsorted(ids_b, keys & ((1 << 25) - 1))
    return ids_a, ids_b, rows, cols, pixels


def _combinations(max_id):
    """(dtype of map A, dtype of map B): each dtype against int64, both
    ways, and against itself."""
    pairs = []
    for dtype in _fitting(max_id):
        pairs += [(dtype, np.int64), (np.int64, dtype), (dtype, dtype)]
    return list(dict.fromkeys(pairs))


@pytest.mark.parametrize('kind', ['numpy', 'torch'])
@pytest.mark.parametrize('id_range', ID_RANGES, ids=lambda r: r[0])
def test_joint_pairs_of_every_dtype_equal_unique_counts(id_range, kind):
    seg_a, seg_b = _maps(id_range)
    expected = _reference_pairs(seg_a, seg_b)
    assert len(expected[0]) > 20 and len(expected[2]) > 100
    for dtype_a, dtype_b in _combinations(id_range[2]):
        found = joint_segment_pairs(
            _as(seg_a, dtype_a, kind), _as(seg_b, dtype_b, kind))
        fields = ('ids_a', 'ids_b', 'rows', 'cols', 'pixels')
        for name, value, reference in zip(fields, found, expected):
            value = np.asarray(value)
            assert value.dtype == np.int64, (dtype_a, dtype_b, name)
            np.testing.assert_array_equal(
                value, reference, err_msg=f'{dtype_a} {dtype_b} {name}')


@pytest.mark.parametrize('kind', ['numpy', 'torch'])
@pytest.mark.parametrize('id_range', ID_RANGES, ids=lambda r: r[0])
def test_dense_ids_of_every_dtype_equal_numpy_unique(id_range, kind):
    seg, _ = _maps(id_range)
    ref_ids, ref_index = np.unique(seg, return_inverse=True)
    for dtype in _fitting(id_range[2]):
        ids, index = dense_segment_ids(_as(seg, dtype, kind))
        for value, reference in ((ids, ref_ids), (index, ref_index.ravel())):
            value = np.asarray(value)
            assert value.dtype == np.int64, dtype
            np.testing.assert_array_equal(value, reference, err_msg=dtype)


@pytest.mark.parametrize('kind', ['numpy', 'torch'])
def test_pair_counts_of_every_index_dtype_equal_a_loop(kind):
    rng = np.random.default_rng(5)
    index_a, index_b = rng.integers(0, 7, 500), rng.integers(0, 250, 500)
    expected = np.zeros((7, 250), dtype=np.int64)
    for a, b in zip(index_a.tolist(), index_b.tolist()):
        expected[a, b] += 1
    for dtype in DTYPES:
        counts = pair_counts(
            _as(index_a, dtype, kind), 7, _as(index_b, dtype, kind), 250)
        assert counts.dtype == np.int64, dtype
        np.testing.assert_array_equal(counts, expected, err_msg=dtype)


def test_segment_moments_of_every_index_dtype_equal_bincount_sums():
    height, width = CITYSCAPES
    seg, _ = _maps(('', CITYSCAPES, 200))
    _, index = np.unique(seg, return_inverse=True)
    index = index.ravel()
    num = int(index.max()) + 1
    ys, xs = np.divmod(np.arange(height * width), width)
    expected = [
        np.bincount(index, weights, minlength=num).astype(np.int64)
        for weights in (None, ys, xs)
    ]
    for dtype in DTYPES:
        moments = segment_moments(index.astype(dtype), num, width)
        for value, reference in zip(moments, expected):
            assert value.dtype == np.int64, dtype
            np.testing.assert_array_equal(value, reference, err_msg=dtype)


def test_rgb_ids_of_every_dtype():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (48, 64, 3))
    rgb[0, 0] = 255  # id 256^3 - 1
    # R + 256 G + 256^2 B, computed in Python integers
    expected = np.array(
        [[int(r) + 256 * int(g) + 65536 * int(b) for r, g, b in row]
         for row in rgb.tolist()])
    assert expected.max() == (1 << 24) - 1
    for dtype in DTYPES:
        if np.iinfo(dtype).max < 255:
            continue
        ids = rgb_to_id(rgb.astype(dtype))
        assert ids.dtype == np.int64, dtype
        np.testing.assert_array_equal(ids, expected, err_msg=dtype)
    for dtype in _fitting((1 << 24) - 1):
        for kind in ('numpy', 'torch'):
            colours = id_to_rgb(_as(expected, dtype, kind))
            assert colours.dtype == np.uint8
            np.testing.assert_array_equal(colours, rgb, err_msg=dtype)


@pytest.mark.parametrize('kind', ['numpy', 'torch'])
@pytest.mark.parametrize('dtype', [np.int16, np.int32, np.int64])
def test_negative_ids_are_named_with_their_map(dtype, kind):
    seg_a, seg_b = _maps(('small', (40, 60), 3000))
    seg_b[5, 7:9] = -123
    seg_b = _as(seg_b, dtype, kind)
    with pytest.raises(ValueError, match=r'pred_panoptic_seg.*-123'):
        joint_segment_pairs(
            _as(seg_a, dtype, kind),
            seg_b,
            names=('gt_panoptic_seg', 'pred_panoptic_seg'))
    with pytest.raises(ValueError, match=r'my map.*-123'):
        dense_segment_ids(seg_b, name='my map')


@pytest.mark.parametrize('kind', ['numpy', 'torch'])
def test_uint64_ids_beyond_int64_are_named_not_wrapped(kind):
    seg_a, seg_b = _maps(('small', (40, 60), 3000))
    seg_a = seg_a.astype(np.uint64)
    seg_a[3, 3] = (1 << 63) + 5
    seg_a = _as(seg_a, np.uint64, kind)
    with pytest.raises(
            ValueError, match=r'gt_panoptic_seg.*9223372036854775813'):
        joint_segment_pairs(seg_a, seg_b, names=('gt_panoptic_seg', 'pred'))
    with pytest.raises(ValueError, match='9223372036854775813'):
        id_to_rgb(seg_a)


@pytest.mark.parametrize('kind', ['numpy', 'torch'])
def test_float_maps_are_refused(kind):
    seg = _as(np.zeros((4, 6)), np.float32, kind)
    with pytest.raises(TypeError, match=r'label map.*float32.*integer'):
        dense_segment_ids(seg, name='label map')


def test_rgb_channels_outside_0_255_are_named():
    rgb = np.zeros((4, 6, 3), np.int32)
    rgb[1, 2, 1] = 300
    with pytest.raises(ValueError, match=r'a.png.*300'):
        rgb_to_id(rgb, name='a.png')
    rgb[1, 2, 1] = -2
    with pytest.raises(ValueError, match='-2'):
        rgb_to_id(rgb)
