"""Dense relabelling and pair counting: numpy and torch paths agree."""
import numpy as np
import pytest
import torch

from mmpdl.evaluation.metrics.segment_ids import dense_segment_ids, pair_counts


@pytest.mark.parametrize('offset', [0, 1 << 23])  # table and unique paths
def test_numpy_and_torch_paths_agree_with_np_unique(offset):
    rng = np.random.default_rng(0)
    a = rng.choice([0, 7, 13001, 255000], size=(6, 9)) + offset
    b = rng.choice([3, 11002, 11003], size=(6, 9))
    ids_np, idx_np = dense_segment_ids(a)
    ids_t, idx_t = dense_segment_ids(torch.from_numpy(a))
    ref_ids, ref_idx = np.unique(a, return_inverse=True)
    assert ids_np.tolist() == ids_t.tolist() == ref_ids.tolist()
    assert idx_np.tolist() == idx_t.tolist() == ref_idx.ravel().tolist()
    ids_b, idx_b = dense_segment_ids(b)
    counts = pair_counts(idx_np, len(ids_np), idx_b, len(ids_b))
    counts_t = pair_counts(idx_t, len(ids_t), torch.from_numpy(idx_b),
                           len(ids_b))
    for i, va in enumerate(ids_np):
        for j, vb in enumerate(ids_b):
            expected = int(((a == va) & (b == vb)).sum())
            assert counts[i, j] == counts_t[i, j] == expected


def test_negative_ids_are_rejected():
    with pytest.raises(ValueError, match='-1'):
        dense_segment_ids(np.array([[0, -1]]))
