"""Joint segment counting by runs equals a plain per-pixel count."""
import numpy as np
import pytest
import torch

from mmpdl.evaluation.metrics import segment_ids
from mmpdl.evaluation.metrics.segment_ids import (joint_segment_counts,
                                                  pixel_runs)


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


@pytest.mark.parametrize('max_run_fraction', [0.25, 0.0])
def test_joint_counts_equal_reference(monkeypatch, max_run_fraction):
    # 0.0 forces the per-pixel fallback; both paths must give the same.
    monkeypatch.setattr(segment_ids, '_MAX_RUN_FRACTION', max_run_fraction)
    seg_a, seg_b = _blocky_maps(seed=3)
    ids_a, ids_b, counts = joint_segment_counts(seg_a, seg_b)
    ref_a, ref_b, ref_counts = _reference_counts(seg_a, seg_b)
    np.testing.assert_array_equal(ids_a, ref_a)
    np.testing.assert_array_equal(ids_b, ref_b)
    np.testing.assert_array_equal(counts, ref_counts)
    assert counts.dtype == np.int64 and counts.sum() == seg_a.size


def test_joint_counts_tensor_path_equals_numpy_path():
    seg_a, seg_b = _blocky_maps(seed=5)
    ids_a, ids_b, counts = joint_segment_counts(
        torch.from_numpy(seg_a), torch.from_numpy(seg_b))
    ref_a, ref_b, ref_counts = joint_segment_counts(seg_a, seg_b)
    np.testing.assert_array_equal(ids_a.numpy(), ref_a)
    np.testing.assert_array_equal(ids_b.numpy(), ref_b)
    np.testing.assert_array_equal(counts, ref_counts)
