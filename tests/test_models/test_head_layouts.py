"""The detectron2 layouts of PanopticDeepLabHead (regular and DSConv) and
the fixed-kernel ASPP image pooling, against detectron2's own heads."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpdl.models.decode_heads import PanopticASPP, PanopticDeepLabHead
from mmpdl.models.utils.prediction_resize import upsample_predictions
from .detectron2_reference import import_panoptic_deeplab

BN = dict(type='BN', requires_grad=True)
DSCONV_HEADS = dict(
    sem_seg='dsconv5x5', center='conv3x3x2', offset='dsconv5x5')
# (channels, stride) of res2, res3, res5 of the reduced test network
FEATURES = dict(res2=(16, 4), res3=(32, 8), res5=(64, 16))
TRAIN_SIZE = (64, 128)


def d2_layout_head(depthwise_separable: bool, pool_kernel_size=(4, 8),
                   **extra):
    """Reduced widths, detectron2's layout, os16 (res5 / res3 / res2)."""
    return PanopticDeepLabHead(
        **extra,
        in_channels=64,
        in_index=2,
        low_level_channels=(32, 16),
        low_level_in_index=(1, 0),
        atrous_rates=(6, 12, 18),
        num_classes=5,
        semantic_branch=dict(
            aspp_channels=24,
            low_level_projections=(8, 4),
            decoder_channels=16,
            head_channels=12),
        instance_branch=dict(
            aspp_channels=24,
            low_level_projections=(8, 4),
            decoder_channels=8,
            head_channels=6),
        norm_cfg=BN,
        dropout_ratio=0.1,
        align_corners=False,
        fuse_conv='dsconv5x5' if depthwise_separable else 'conv3x3x2',
        head_conv=DSCONV_HEADS if depthwise_separable else 'conv3x3x2',
        low_level_first=True,
        aspp_cfg=dict(
            depthwise_separable=depthwise_separable,
            pool_kernel_size=pool_kernel_size,
            image_pool_bias=True))


def test_dsconv_layout_is_detectron2s():
    head = d2_layout_head(True)
    aspp = head.semantic_decoder.aspp
    assert aspp.aspp_convs[0].conv.kernel_size == (1, 1)
    for branch, rate in zip(list(aspp.aspp_convs)[1:], (6, 12, 18)):
        depthwise = branch.depthwise_conv.conv
        assert depthwise.kernel_size == (3, 3)
        assert depthwise.dilation == (rate, rate)
        assert depthwise.groups == 64 and depthwise.bias is None
        assert isinstance(branch.depthwise_conv.bn, nn.BatchNorm2d)
        assert branch.pointwise_conv.conv.kernel_size == (1, 1)
        assert isinstance(branch.pointwise_conv.bn, nn.BatchNorm2d)
    assert aspp.image_pool[0].kernel_size == (4, 8)
    assert aspp.image_pool[1].conv.bias is not None
    assert aspp.project[1].p == 0.1
    fuse = head.instance_decoder.fuse[0]
    assert fuse.depthwise_conv.conv.kernel_size == (5, 5)
    assert fuse.depthwise_conv.conv.groups == 24 + 8
    center = head.instance_head['center'][0]
    assert [m.conv.kernel_size for m in center] == [(3, 3), (3, 3)]
    assert [m.conv.out_channels for m in center] == [8, 6]
    assert head.instance_head['offset'][0].depthwise_conv.conv.kernel_size \
        == (5, 5)


def test_regular_layout_has_no_depthwise_conv():
    head = d2_layout_head(False)
    groups = {m.groups for m in head.modules() if isinstance(m, nn.Conv2d)}
    assert groups == {1}
    fuse = head.semantic_decoder.fuse[1]
    assert [m.conv.in_channels for m in fuse] == [16 + 4, 16]


def _aspp(pool_kernel_size):
    torch.manual_seed(0)
    return PanopticASPP(
        8,
        4, (1, 2, 3),
        BN,
        pool_kernel_size=pool_kernel_size,
        image_pool_bias=True,
        align_corners=False).eval()


def test_fixed_kernel_pooling_is_global_on_the_crop_and_slides_beyond():
    fixed, global_ = _aspp((4, 6)), _aspp(None)
    global_.load_state_dict(fixed.state_dict())
    crop = torch.randn(1, 8, 4, 6)
    torch.testing.assert_close(fixed(crop), global_(crop))
    # on a larger input: mean over every 4x6 window, then bilinear
    big = torch.randn(1, 8, 9, 13)
    windows = big.unfold(2, 4, 1).unfold(3, 6, 1).mean(dim=(-1, -2))
    assert windows.shape[2:] == (6, 8)
    expected = F.interpolate(
        fixed.image_pool[1](windows), size=(9, 13), mode='bilinear')
    fixed.project = nn.Identity()  # the concatenation, pooling last
    torch.testing.assert_close(fixed(big)[:, 16:], expected)


def test_a_side_shorter_than_the_kernel_is_pooled_whole():
    fixed, global_ = _aspp((4, 6)), _aspp(None)
    global_.load_state_dict(fixed.state_dict())
    small = torch.randn(1, 8, 3, 5)
    torch.testing.assert_close(fixed(small), global_(small))
    # 3 rows (< 4) pooled whole, 6-wide windows sliding over 9 columns
    wide = torch.randn(1, 8, 3, 9)
    windows = wide.mean(dim=2, keepdim=True).unfold(3, 6, 1).mean(dim=-1)
    assert tuple(fixed.image_pool[0](wide).shape) == (1, 8, 1, 4)
    torch.testing.assert_close(fixed.image_pool[0](wide), windows)


@pytest.mark.parametrize('bad', [(4, ), (0, 3), (2.5, 3)])
def test_bad_pool_kernel_size_is_named(bad):
    with pytest.raises(ValueError, match='pool_kernel_size'):
        _aspp(bad)


@pytest.mark.parametrize('overrides,match', [
    (dict(fuse_conv='conv5x5'), 'fuse_conv'),
    (dict(head_conv='dsconv3x3'), 'head_conv'),
    (dict(head_conv=dict(sem_seg='dsconv5x5')), 'head_conv'),
    (dict(aspp_cfg=dict(pool_size=(2, 2))), 'aspp_cfg'),
])
def test_bad_layout_values_are_named(overrides, match):
    kwargs = dict(
        in_channels=8,
        in_index=1,
        low_level_channels=(4, ),
        low_level_in_index=(0, ),
        atrous_rates=(2, ),
        num_classes=3,
        semantic_branch=dict(
            aspp_channels=4,
            low_level_projections=(2, ),
            decoder_channels=4,
            head_channels=4),
        instance_branch=dict(
            aspp_channels=4,
            low_level_projections=(2, ),
            decoder_channels=4,
            head_channels=4),
        norm_cfg=BN)
    kwargs.update(overrides)
    with pytest.raises((KeyError, ValueError), match=match):
        PanopticDeepLabHead(**kwargs)


def d2_key_to_ours(key: str, d2_head: str) -> str:
    """A key of detectron2's ``sem_seg_head`` / ``ins_embed_head`` in our
    head (the checkpoint converter's renaming rules)."""
    from mmpdl.converters.detectron2 import head_rules
    from mmpdl.converters.key_rules import rename_keys
    renamed, _ = rename_keys([f'{d2_head}.{key}'], head_rules(2))
    return renamed[f'{d2_head}.{key}'][len('decode_head.'):]


def d2_heads(depthwise_separable: bool):
    """detectron2's semantic and instance heads with the same widths."""
    seg = import_panoptic_deeplab().panoptic_seg
    from detectron2.layers import ShapeSpec
    shapes = {
        name: ShapeSpec(channels=c, stride=s)
        for name, (c, s) in FEATURES.items()
    }
    common = dict(
        input_shape=shapes,
        project_channels=[4, 8],
        aspp_dilations=[6, 12, 18],
        aspp_dropout=0.1,
        common_stride=4,
        norm='BN',
        train_size=TRAIN_SIZE,
        use_depthwise_separable_conv=depthwise_separable)
    semantic = seg.PanopticDeepLabSemSegHead(
        decoder_channels=[16, 16, 24],
        head_channels=12,
        loss_weight=1.0,
        loss_type='hard_pixel_mining',
        loss_top_k=0.2,
        ignore_value=255,
        num_classes=5,
        **common)
    instance = seg.PanopticDeepLabInsEmbedHead(
        decoder_channels=[8, 8, 24],
        head_channels=6,
        center_loss_weight=200.0,
        offset_loss_weight=0.01,
        **common)
    return semantic.eval(), instance.eval()


@pytest.mark.parametrize('depthwise_separable', [False, True])
def test_outputs_equal_detectron2s_heads(depthwise_separable):
    torch.manual_seed(0)
    semantic, instance = d2_heads(depthwise_separable)
    ours = d2_layout_head(depthwise_separable).eval()
    state = {}
    heads = (('sem_seg_head', semantic), ('ins_embed_head', instance))
    for name, d2_head in heads:
        for key, value in d2_head.state_dict().items():
            if value.is_floating_point():
                value = torch.rand_like(value) + 0.5
            state[d2_key_to_ours(key, name)] = value
    ours.load_state_dict(state, strict=True)
    for name, d2_head in heads:
        d2_head.load_state_dict({
            key: state[d2_key_to_ours(key, name)]
            for key in d2_head.state_dict()
        })
    # an input of twice the training crop: the pooling window slides
    height, width = 2 * TRAIN_SIZE[0], 2 * TRAIN_SIZE[1]
    feats = {
        name: torch.randn(1, c, height // s, width // s)
        for name, (c, s) in FEATURES.items()
    }
    with torch.no_grad():
        sem_seg, _ = semantic(feats)
        center, offset, _, _ = instance(feats)
        out = upsample_predictions(
            ours((feats['res2'], feats['res3'], feats['res5'])),
            (height, width),
            align_corners=False)
    for name, expected in (('sem_seg', sem_seg), ('center', center), ('offset',
                                                                      offset)):
        torch.testing.assert_close(
            out[name], expected, rtol=0, atol=1e-5, msg=name)


@pytest.mark.parametrize('size,divisor,align_corners,expected', [
    (1024, 32, True, 1025),
    (1025, 32, True, 1025),
    (1024, 32, False, 1024),
    (1000, 32, False, 1024),
    (427, 640, False, 640),
    (641, 640, False, 1280),
])
def test_padded_sizes(size, divisor, align_corners, expected):
    from mmpdl.models.utils.align_padding import aligned_size
    assert aligned_size(size, divisor, align_corners) == expected


def test_offsets_scale_by_the_stride_without_align_corners():
    preds = dict(offset=torch.ones(1, 2, 16, 32))
    out = upsample_predictions(preds, (64, 128), align_corners=False)
    torch.testing.assert_close(out['offset'], torch.full((1, 2, 64, 128), 4.))


def _std_ratio(weight, expected_std):
    return float(weight.std()) / expected_std


def test_detectron2_init():
    """fvcore's c2_xavier_fill (uniform, bound sqrt(3 / fan_in)) on regular
    convs, c2_msra_fill (normal, std sqrt(2 / fan_out)) on separable ones,
    N(0, 0.001) predictors, zero biases."""
    torch.manual_seed(0)
    head = d2_layout_head(True, init_style='detectron2')
    head.init_weights()
    aspp = head.semantic_decoder.aspp
    project = aspp.project[0].conv.weight  # 1x1, fan_in 5 * 24
    assert float(project.abs().max()) <= (3 / 120)**0.5
    assert _std_ratio(project, (1 / 120)**0.5) == pytest.approx(1, abs=0.1)
    assert not aspp.image_pool[1].conv.bias.any()
    pointwise = head.semantic_decoder.fuse[0].pointwise_conv.conv.weight
    assert _std_ratio(pointwise, (2 / 16)**0.5) == pytest.approx(1, abs=0.1)
    depthwise = aspp.aspp_convs[1].depthwise_conv.conv.weight  # fan_out 64*9
    assert _std_ratio(depthwise, (2 / 576)**0.5) == pytest.approx(1, abs=0.2)
    for predictor in (head.semantic_head['sem_seg'][1],
                      head.instance_head['center'][1]):
        assert _std_ratio(predictor.weight, 0.001) == pytest.approx(1, abs=0.3)
        assert not predictor.bias.any()
    with pytest.raises(ValueError, match='init_style'):
        d2_layout_head(True, init_style='xavier')
