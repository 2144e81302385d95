"""Center NMS: the shifted-maximum window equals ``F.max_pool2d``."""
import pytest
import torch
import torch.nn.functional as F

from mmpdl.models.post_processing.centers import window_max


@pytest.mark.parametrize('kernel', [1, 3, 5, 7, 9, 13])
@pytest.mark.parametrize('shape', [(2, 1, 37, 53), (1, 1, 4, 3),
                                   (1, 1, 1, 20)])
def test_window_max_equals_max_pool(kernel, shape):
    gen = torch.Generator().manual_seed(kernel)
    # thresholded like a heatmap: plateaus of -1 and ties at the top
    scores = F.threshold(
        torch.randint(0, 8, shape, generator=gen) / 8., 0.4, -1)
    pad = kernel // 2
    expected = F.max_pool2d(scores, kernel, 1, pad)
    pooled = window_max(window_max(scores, kernel, 3), kernel, 2)
    assert torch.equal(pooled, expected)
    rows = F.max_pool2d(scores, (kernel, 1), 1, (pad, 0))
    assert torch.equal(window_max(scores, kernel, 2), rows)
