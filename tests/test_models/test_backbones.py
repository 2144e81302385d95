"""Backbones: feature strides/channels, output stride, freezing, errors."""
import pytest
import torch
import torch.nn as nn

from mmpdl.models.backbones import (TorchvisionMobileNetV2, TorchvisionResNet,
                                    Xception65)

BN = dict(type='BN', requires_grad=True)


def _shapes(backbone, size=(65, 129)):
    backbone.eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, *size))
    return [tuple(f.shape[1:]) for f in feats]


# (k * 32 + 1) inputs give feature sizes (k * 32 / s + 1): exact strides.
@pytest.mark.parametrize('output_stride,sizes', [
    (32, [(17, 33), (9, 17), (5, 9), (3, 5)]),
    (16, [(17, 33), (9, 17), (5, 9), (5, 9)]),
    (8, [(17, 33), (9, 17), (9, 17), (9, 17)]),
])
def test_resnet_output_stride(output_stride, sizes):
    net = TorchvisionResNet(depth=50, output_stride=output_stride)
    shapes = _shapes(net)
    assert [s[0] for s in shapes] == [256, 512, 1024, 2048]
    assert [s[1:] for s in shapes] == sizes
    assert net.out_channels == (256, 512, 1024, 2048)


def test_resnext_and_resnet18_widths():
    # torchvision's published sizes: ResNeXt-101 32x8d backbone without fc
    # has 88,791,336 - 2048 * 1000 - 1000 = 86,742,336 parameters.
    x101 = TorchvisionResNet(depth=101, groups=32, width_per_group=8)
    assert sum(p.numel() for p in x101.parameters()) == 86742336
    r18 = TorchvisionResNet(depth=18)
    assert r18.out_channels == (64, 128, 256, 512)
    assert [s[0] for s in _shapes(r18)] == [64, 128, 256, 512]


def test_mobilenet_v2_features_and_dilation():
    net = TorchvisionMobileNetV2()
    assert net.out_channels == (24, 32, 96, 320)
    assert _shapes(net) == [(24, 17, 33), (32, 9, 17), (96, 5, 9), (320, 3, 5)]
    dilated = _shapes(TorchvisionMobileNetV2(output_stride=8))
    assert [s[1:] for s in dilated] == [(17, 33), (9, 17), (9, 17), (9, 17)]


def test_xception65_features_and_dilation():
    net = Xception65(out_indices=(0, 1, 2, 3))
    assert _shapes(net) == [(256, 17, 33), (728, 9, 17), (728, 5, 9),
                            (2048, 3, 5)]
    os16 = _shapes(Xception65(output_stride=16))
    assert [s[1:] for s in os16] == [(17, 33), (9, 17), (5, 9), (5, 9)]
    # 16 middle-flow blocks with identity shortcuts, 21 blocks in all
    blocks = [n for n, _ in net.named_children() if n.startswith('block')]
    assert len(blocks) == 21
    assert all(
        net.get_submodule(f'block{i}').shortcut == 'sum' for i in range(4, 20))


def test_frozen_stages_and_norm_eval():
    net = TorchvisionResNet(depth=18, frozen_stages=1, norm_eval=True)
    net.train()
    assert not any(p.requires_grad for p in net.conv1.parameters())
    assert not any(p.requires_grad for p in net.layer1.parameters())
    assert all(p.requires_grad for p in net.layer2.parameters())
    assert not net.bn1.training and not net.layer3[0].bn1.training
    mbv2 = TorchvisionMobileNetV2(frozen_stages=2)
    mbv2.train()
    assert not any(p.requires_grad for p in mbv2.features[2].parameters())
    assert all(p.requires_grad for p in mbv2.features[3].parameters())


def test_norm_cfg_builds_requested_layer():
    net = TorchvisionResNet(
        depth=18, norm_cfg=dict(type='BN', momentum=0.01, requires_grad=True))
    assert isinstance(net.bn1, nn.BatchNorm2d) and net.bn1.momentum == 0.01
    sync = Xception65(norm_cfg=dict(type='SyncBN', momentum=0.001))
    assert isinstance(sync.bn1, nn.SyncBatchNorm)
    assert sync.bn1.momentum == 0.001


@pytest.mark.parametrize('build,match', [
    (lambda: TorchvisionResNet(depth=42), 'depth=42'),
    (lambda: TorchvisionResNet(output_stride=12), 'output_stride=12'),
    (lambda: TorchvisionMobileNetV2(output_stride=12), 'output_stride=12'),
    (lambda: Xception65(output_stride=12), 'output_stride=12'),
    (lambda: TorchvisionResNet(depth=18, output_stride=16), 'depth=18'),
    (lambda: TorchvisionResNet(out_indices=(4, )), 'out_indices entry 4'),
    (lambda: TorchvisionResNet(norm_cfg='BN'), "'BN'"),
])
def test_wrong_values_are_named(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()


def test_pretrained_from_local_path(tmp_path):
    source = TorchvisionResNet(depth=18)
    state = {k: v for k, v in source.state_dict().items()}
    state['fc.weight'] = torch.zeros(1000, 512)  # torchvision extras
    path = tmp_path / 'resnet18.pth'
    torch.save(state, path)
    target = TorchvisionResNet(
        depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    target.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key
