"""The panoptic id encodings, dense segment ids and run counting."""
import numpy as np
import pytest
import torch

from mmpdl.structures import panoptic_ids
from mmpdl.structures.panoptic_ids import (MAX_TABLE_ID, dense_segment_ids,
                                           id_to_rgb, joint_segment_pairs,
                                           pixel_runs, rgb_to_id,
                                           segment_moments)


def _reference_counts(seg_a, seg_b):
    ids_a, ids_b = np.unique(seg_a), np.unique(seg_b)
    counts = np.zeros((len(ids_a), len(ids_b)), dtype=np.int64)
    for i, a in enumerate(ids_a):
        for j, b in enumerate(ids_b):
            counts[i, j] = np.count_nonzero((seg_a == a) & (seg_b == b))
    return ids_a, ids_b, counts


def _blocky_maps(seed):
    rng = np.random.default_rng(seed)
    seg_a = np.repeat(rng.integers(0, 5, (12, 8)) * 1000 + 7, 4, axis=1)
    seg_b = np.repeat(rng.integers(0, 4, (12, 16)) * 26000, 2, axis=1)
    return seg_a, seg_b


def test_pixel_runs_cover_every_pixel_once():
    flat_a = np.repeat([1, 1, 2, 2, 2, 3], 4)
    flat_b = np.repeat([0, 0, 0, 5, 5, 5], 4)
    starts, lengths = pixel_runs(flat_a, flat_b)
    assert starts.tolist() == [0, 8, 12, 20]
    assert lengths.tolist() == [8, 4, 8, 4]


def test_pixel_runs_give_up_on_noisy_maps():
    flat = np.arange(40) % 2
    assert pixel_runs(flat, np.zeros_like(flat)) is None


def _dense_counts(seg_a, seg_b):
    """joint_segment_pairs as (ids_a, ids_b, (Sa, Sb) counts)."""
    ids_a, ids_b, rows, cols, pixels = joint_segment_pairs(seg_a, seg_b)
    counts = np.zeros((len(ids_a), len(ids_b)), dtype=np.int64)
    counts[rows, cols] = pixels
    return np.asarray(ids_a), np.asarray(ids_b), counts


@pytest.mark.parametrize('max_run_fraction', [0.25, 0.0])
def test_joint_pairs_equal_reference(monkeypatch, max_run_fraction):
    # 0.0 forces the per-pixel fallback; both paths must give the same.
    monkeypatch.setattr(panoptic_ids, '_MAX_RUN_FRACTION', max_run_fraction)
    seg_a, seg_b = _blocky_maps(seed=3)
    ids_a, ids_b, counts = _dense_counts(seg_a, seg_b)
    ref_a, ref_b, ref_counts = _reference_counts(seg_a, seg_b)
    np.testing.assert_array_equal(ids_a, ref_a)
    np.testing.assert_array_equal(ids_b, ref_b)
    np.testing.assert_array_equal(counts, ref_counts)
    assert counts.sum() == seg_a.size


@pytest.mark.parametrize('offset_a,offset_b', [(0, 0), (1 << 40, 1 << 30)])
@pytest.mark.parametrize('as_tensor', [False, True])
def test_joint_pairs_list_every_overlapping_pair_in_order(
        offset_a, offset_b, as_tensor):
    # (1 << 40, 1 << 30): one key per run would overflow int64, so each
    # map's ids are indexed separately; tensors are counted per pixel.
    seg_a, seg_b = _blocky_maps(seed=7)
    seg_a, seg_b = seg_a + offset_a, seg_b + offset_b
    ref_a, ref_b, ref_counts = _reference_counts(seg_a, seg_b)
    if as_tensor:
        seg_a, seg_b = torch.from_numpy(seg_a), torch.from_numpy(seg_b)
    ids_a, ids_b, rows, cols, pixels = joint_segment_pairs(seg_a, seg_b)
    np.testing.assert_array_equal(np.asarray(ids_a), ref_a)
    np.testing.assert_array_equal(np.asarray(ids_b), ref_b)
    ref_rows, ref_cols = np.nonzero(ref_counts)  # row-major order
    np.testing.assert_array_equal(rows, ref_rows)
    np.testing.assert_array_equal(cols, ref_cols)
    np.testing.assert_array_equal(pixels, ref_counts[ref_rows, ref_cols])
    assert pixels.dtype == np.int64 and rows.dtype == np.int64


def test_joint_pairs_refuse_negative_ids():
    seg_a, seg_b = _blocky_maps(seed=2)
    seg_a[3, 4:] = -5
    with pytest.raises(ValueError, match='non-negative, got -5'):
        joint_segment_pairs(seg_a, seg_b)


def test_rgb_to_id_is_r_plus_256g_plus_65536b():
    rgb = np.array([[[1, 2, 3], [255, 255, 255]]], np.uint8)
    ids = rgb_to_id(rgb)
    assert ids.dtype == np.int64
    assert ids.tolist() == [[1 + 2 * 256 + 3 * 65536, (1 << 24) - 1]]


def test_id_to_rgb_inverts_rgb_to_id():
    ids = np.array([[0, 1, 256, 65536, (1 << 24) - 1]])
    assert id_to_rgb(ids).tolist() == [[[0, 0, 0], [1, 0, 0], [0, 1, 0],
                                        [0, 0, 1], [255, 255, 255]]]
    np.testing.assert_array_equal(rgb_to_id(id_to_rgb(ids)), ids)
    with pytest.raises(ValueError, match='2\\^24'):
        id_to_rgb(np.array([[1 << 24]]))


# a table; a sort (few values over a wide id range); a sort (large ids)
@pytest.mark.parametrize('offset,size', [(0, 20000), (0, 5000),
                                         (MAX_TABLE_ID, 20000)])
def test_dense_segment_ids_equal_numpy_unique(offset, size):
    rng = np.random.default_rng(0)
    ids = rng.choice([0, 7, 13001, 13002, 255000], size=size) + offset
    values, index = dense_segment_ids(ids)
    ref_values, ref_index = np.unique(ids, return_inverse=True)
    np.testing.assert_array_equal(values, ref_values)
    np.testing.assert_array_equal(index, ref_index)
    for seg_map in (ids, torch.from_numpy(ids)):  # the ids alone
        values, index = dense_segment_ids(seg_map, with_index=False)
        np.testing.assert_array_equal(np.asarray(values), ref_values)
        assert index is None


def test_segment_moments_equal_per_pixel_sums():
    rng = np.random.default_rng(1)
    height, width = 9, 13
    # blocky map whose runs cross row ends (must be cut there)
    index = np.repeat(rng.integers(0, 4, height * width // 3 + 1), 3)
    index = index[:height * width]
    area, sum_y, sum_x = segment_moments(index, 5, width)
    ys, xs = np.divmod(np.arange(height * width), width)
    for seg in range(5):
        on = index == seg
        assert area[seg] == on.sum()
        assert sum_y[seg] == ys[on].sum() and sum_x[seg] == xs[on].sum()
