"""Random states survive a checkpoint round trip (weights_only load)."""
import random

import numpy as np
import torch

from mmpdl.utils.random_state import capture_random_state, restore_random_state


def _draw():
    return (random.random(), np.random.rand(3).tolist(), np.random.randn(),
            torch.rand(3).tolist(), torch.randn(1).item())


def test_restore_repeats_the_same_numbers(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.randn()  # leaves a cached Gaussian in NumPy's state
    path = tmp_path / 'state.pth'
    torch.save({'state': capture_random_state()}, path)
    expected = _draw()
    _draw()
    restore_random_state(torch.load(path, weights_only=True)['state'])
    assert _draw() == expected
