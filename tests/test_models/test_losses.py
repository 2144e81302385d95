"""Losses against hand-computed values (math module, no torch oracle)."""
import math

import pytest
import torch

from mmpdl.models.losses import DeepLabCELoss, WeightedL1Loss, WeightedMSELoss


def _softplus(x):
    return math.log1p(math.exp(x))


def _ce_case():
    """4x4, 2 classes: logit of the gt class a, other 0 -> CE = log(1+e^-a).

    Labels: class 0 everywhere except a column of class 1 and 4 ignored
    pixels; pixel weights 3 on two pixels.
    """
    margins = torch.tensor([[2.0, -1.0, 0.5, 0.0], [1.0, -2.0, 3.0, 0.25],
                            [-0.5, 4.0, 1.5, -3.0], [0.0, 2.5, -1.5, 1.0]])
    labels = torch.tensor([[0, 1, 0, 255], [0, 1, 0, 0], [255, 1, 0, 0],
                           [0, 1, 255, 255]])
    weights = torch.ones(4, 4)
    weights[0, 1] = 3.0
    weights[2, 3] = 3.0
    logits = torch.zeros(1, 2, 4, 4)
    cls = labels.clamp(max=1)
    logits[0].scatter_(0, cls[None], margins[None])
    expected = []
    for y in range(4):
        for x in range(4):
            if labels[y, x] == 255:
                expected.append(0.0)
            else:
                expected.append(
                    float(weights[y, x]) * _softplus(-float(margins[y, x])))
    return logits, labels[None], weights[None], expected


def test_deeplab_ce_top_k_by_hand():
    logits, labels, weights, pixel = _ce_case()
    loss = DeepLabCELoss(
        top_k_percent_pixels=0.2, ignore_index=255)(logits, labels, weights)
    k = int(0.2 * 16)  # 3: a fraction of all 16 pixels, ignored included
    expected = sum(sorted(pixel, reverse=True)[:k]) / k
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_deeplab_ce_all_pixels_mean_counts_ignored():
    logits, labels, weights, pixel = _ce_case()
    loss = DeepLabCELoss(
        top_k_percent_pixels=1.0, loss_weight=2.0,
        ignore_index=255)(logits, labels, weights)
    assert loss.item() == pytest.approx(2.0 * sum(pixel) / 16, rel=1e-6)


def test_deeplab_ce_without_weights_and_tiny_input():
    logits, labels, _, _ = _ce_case()
    loss = DeepLabCELoss(
        top_k_percent_pixels=0.5, ignore_index=255)(logits, labels)
    margins_valid = []
    lab = labels[0]
    for y in range(4):
        for x in range(4):
            if lab[y, x] != 255:
                margins_valid.append(
                    _softplus(-float(logits[0, min(int(lab[y, x]), 1), y, x])))
    vals = sorted(margins_valid + [0.0] * 4, reverse=True)[:8]
    assert loss.item() == pytest.approx(sum(vals) / 8, rel=1e-6)
    # k = int(0.2 * 1) = 0 pixels: 0, not NaN
    tiny = DeepLabCELoss(ignore_index=255)(logits[:, :, :1, :1],
                                           labels[:, :1, :1])
    assert tiny.item() == 0.0


def test_deeplab_ce_rejects_bad_input():
    with pytest.raises(ValueError, match='top_k_percent_pixels'):
        DeepLabCELoss(top_k_percent_pixels=0.0)
    with pytest.raises(ValueError, match='labels'):
        DeepLabCELoss(ignore_index=255)(torch.zeros(1, 2, 4, 4),
                                        torch.zeros(1, 3, 4).long())


def test_weighted_mse_by_hand():
    pred = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    target = torch.tensor([[[[0.0, 0.0], [1.0, 0.0]]]])
    weights = torch.tensor([[[1.0, 0.0], [1.0, 1.0]]])
    loss = WeightedMSELoss()(pred, target, weights)
    # (1 + 4 + 16) / 3 pixels with weight 1, times 200
    assert loss.item() == pytest.approx(200 * 21 / 3)
    assert WeightedMSELoss().loss_name == 'loss_center'


def test_weighted_l1_normalises_over_both_channels():
    pred = torch.tensor([[[[1.0, -2.0]], [[3.0, 5.0]]]])  # (1, 2, 1, 2)
    target = torch.zeros_like(pred)
    weights = torch.tensor([[[1.0, 0.0]]])
    loss = WeightedL1Loss()(pred, target, weights)
    # only pixel 0: (|1| + |3|) / (2 channels * 1 pixel) * 0.01
    assert loss.item() == pytest.approx(0.01 * 4 / 2)
    fractional = WeightedL1Loss(loss_weight=1.0)(pred, target,
                                                 torch.tensor([[[0.5, 2.0]]]))
    expected = (0.5 * 4 + 2.0 * 7) / (2 * 2.5)
    assert fractional.item() == pytest.approx(expected)


@pytest.mark.parametrize('loss_cls,channels', [(WeightedMSELoss, 1),
                                               (WeightedL1Loss, 2)])
def test_all_zero_mask_gives_zero_not_nan(loss_cls, channels):
    pred = torch.randn(2, channels, 3, 3, requires_grad=True)
    loss = loss_cls()(pred, torch.randn(2, channels, 3, 3),
                      torch.zeros(2, 3, 3))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.equal(pred.grad, torch.zeros_like(pred))


def test_regression_shape_mismatch_is_reported():
    with pytest.raises(ValueError, match=r'\(1, 2, 3, 3\)'):
        WeightedL1Loss()(torch.zeros(1, 2, 3, 3), torch.zeros(1, 1, 3, 3),
                         torch.ones(1, 3, 3))
