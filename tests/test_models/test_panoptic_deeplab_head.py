"""PanopticDeepLabHead: structure, widths, init and config errors."""
import pytest
import torch
import torch.nn as nn

from mmpdl.models.decode_heads import PanopticDeepLabHead
from mmpdl.models.utils.prediction_resize import (resize_offset,
                                                  upsample_predictions)

BN = dict(type='BN', requires_grad=True)


def small_head(**overrides):
    kwargs = dict(
        in_channels=32,
        in_index=3,
        low_level_channels=(16, 8, 4),
        low_level_in_index=(2, 1, 0),
        atrous_rates=(3, 6, 9),
        num_classes=5,
        semantic_branch=dict(
            aspp_channels=16,
            low_level_projections=(8, 4, 2),
            decoder_channels=16,
            head_channels=12),
        instance_branch=dict(
            aspp_channels=8,
            low_level_projections=(4, 2, 2),
            decoder_channels=8,
            head_channels=6),
        norm_cfg=BN)
    kwargs.update(overrides)
    return PanopticDeepLabHead(**kwargs)


def _feats():
    return (torch.randn(2, 4, 17, 33), torch.randn(2, 8, 9, 17),
            torch.randn(2, 16, 5, 9), torch.randn(2, 32, 3, 5))


def test_outputs_at_stride_4_with_reduced_widths():
    head = small_head().eval()
    out = head(_feats())
    assert tuple(out['sem_seg'].shape) == (2, 5, 17, 33)
    assert tuple(out['center'].shape) == (2, 1, 17, 33)
    assert tuple(out['offset'].shape) == (2, 2, 17, 33)
    # fuse convs are 5x5 depthwise + 1x1 pointwise, each with a norm layer
    fuse = head.semantic_decoder.fuse[0]
    assert fuse.depthwise_conv.conv.kernel_size == (5, 5)
    assert fuse.depthwise_conv.conv.groups == 16 + 8
    assert isinstance(fuse.pointwise_conv.bn, nn.BatchNorm2d)
    # ASPP: 1x1 + 3 atrous branches, image pooling without norm
    aspp = head.instance_decoder.aspp
    assert [m.conv.dilation[0] for m in aspp.aspp_convs] == [1, 3, 6, 9]
    assert aspp.image_pool[1].norm_cfg is None
    assert aspp.image_pool[1].conv.bias is None


def test_image_pooling_is_global_for_any_size():
    head = small_head().eval()
    feats = (torch.randn(1, 4, 23, 7), torch.randn(1, 8, 12, 4),
             torch.randn(1, 16, 6, 2), torch.randn(1, 32, 3, 1))
    assert tuple(head(feats)['offset'].shape) == (1, 2, 23, 7)


def test_init_weights_follows_original():
    head = small_head()
    head.init_weights()
    conv = head.semantic_decoder.project[0].conv.weight
    assert conv.std().item() < 0.005
    bn = head.semantic_decoder.project[0].bn
    assert torch.equal(bn.weight, torch.ones_like(bn.weight))


@pytest.mark.parametrize('overrides,match', [
    (dict(low_level_in_index=(2, 1)), r'low_level_in_index=\(2, 1\)'),
    (dict(low_level_channels=(16, 8)), r'low_level_channels=\(16, 8\)'),
    (dict(
        instance_branch=dict(
            aspp_channels=8,
            low_level_projections=(4, 2),
            decoder_channels=8,
            head_channels=6)), r'\(4, 2\)'),
    (dict(semantic_branch=dict(aspp_channels=8, decoder_channel=3)),
     'decoder_channel'),
    (dict(atrous_rates=(3, 0)), r'\(3, 0\)'),
])
def test_bad_config_values_are_named(overrides, match):
    with pytest.raises((ValueError, KeyError), match=match):
        small_head(**overrides)


def test_index_past_backbone_outputs_is_named():
    head = small_head(in_index=5)
    with pytest.raises(IndexError, match='feature index 5'):
        head(_feats())


def test_offset_upsampling_scales_like_original():
    preds = dict(
        offset=torch.ones(1, 2, 17, 33), center=torch.ones(1, 1, 17, 33))
    out = upsample_predictions(preds, (65, 129))
    # (65 - 1) // (17 - 1) = 4: offsets become input pixels
    assert torch.allclose(out['offset'], torch.full((1, 2, 65, 129), 4.0))
    assert torch.allclose(out['center'], torch.ones(1, 1, 65, 129))
    resized = resize_offset(torch.ones(1, 2, 5, 9), (9, 33))
    assert torch.allclose(resized[:, 0], torch.full((1, 9, 33), 2.0))
    assert torch.allclose(resized[:, 1], torch.full((1, 9, 33), 4.0))
