"""TorchvisionMobileNetV3: torchvision's network, deeplab2's endpoints
(depthwise activations) and deeplab2's output-stride-16 dilation."""
import pytest
import torch
import torch.nn as nn
import torchvision

from mmpdl.models.backbones import TorchvisionMobileNetV3

# arch -> (out_indices, the layer of torchvision's block whose output is
# deeplab2's endpoint: index into ``features[i].block`` or None for the
# block itself, channels). The depthwise layer is ``block[1]`` after a 1x1
# expansion, ``block[0]`` when the block has none (small's features.1).
ENDPOINTS = dict(
    large=[(3, 1, 72), (6, 1, 120), (12, 1, 672), (16, None, 960)],
    small=[(1, 0, 16), (3, 1, 88), (8, 1, 144), (12, None, 576)])
# torchvision's published parameter counts (5,483,032 and 2,542,856) minus
# the classifier: Linear(960, 1280) + Linear(1280, 1000) for large,
# Linear(576, 1024) + Linear(1024, 1000) for small.
FEATURE_PARAMS = dict(
    large=5483032 - (960 * 1280 + 1280 + 1280 * 1000 + 1000),
    small=2542856 - (576 * 1024 + 1024 + 1024 * 1000 + 1000))


def _reference(arch):
    """torchvision's model with random weights and BN statistics."""
    torch.manual_seed(0)
    ref = getattr(torchvision.models, f'mobilenet_v3_{arch}')()
    for m in ref.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    return ref.eval()


def _reference_endpoints(ref, arch, x):
    """deeplab2's endpoints of torchvision's model, by forward hooks."""
    found = []
    for index, layer, _ in ENDPOINTS[arch]:
        module = ref.features[index]
        if layer is not None:
            module = module.block[layer]
        module.register_forward_hook(lambda m, i, o: found.append(o))
    ref(x)
    return found


def _ours(arch, output_stride=32, **kwargs):
    return TorchvisionMobileNetV3(
        arch=arch, output_stride=output_stride, **kwargs).eval()


@pytest.mark.parametrize('arch', ['large', 'small'])
def test_weights_and_endpoints_are_torchvisions(arch):
    ref = _reference(arch)
    ours = _ours(arch)
    state = {
        k: v
        for k, v in ref.state_dict().items() if not k.startswith('classifier')
    }
    # torchvision's ImageNet checkpoints load as they are
    assert sorted(ours.state_dict()) == sorted(state)
    ours.load_state_dict(state)
    assert sum(p.numel() for p in ours.parameters()) == FEATURE_PARAMS[arch]
    x = torch.randn(1, 3, 65, 129)
    with torch.no_grad():
        want = _reference_endpoints(ref, arch, x)
        got = ours(x)
    assert ours.out_channels == tuple(c for _, _, c in ENDPOINTS[arch])
    assert [tuple(f.shape) for f in got] == [
        (1, c, h, w)
        for (_, _,
             c), (h,
                  w) in zip(ENDPOINTS[arch], [(17, 33), (9, 17), (5, 9), (3,
                                                                          5)])
    ]
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def _spatial(net):
    return [(name, m) for name, m in net.named_modules()
            if isinstance(m, nn.Conv2d) and m.kernel_size[0] > 1]


# deeplab2: the block whose stride 2 would exceed the output stride keeps
# stride 1 and the current rate (1); the blocks after it get rate 2.
@pytest.mark.parametrize('arch,first,later', [
    ('large', 13, (14, 15)),
    ('small', 9, (10, 11)),
])
def test_output_stride_16_dilates_the_last_stage(arch, first, later):
    os32, os16 = _ours(arch), _ours(arch, 16)
    os16.load_state_dict(os32.state_dict())
    for (name, a), (_, b) in zip(_spatial(os32), _spatial(os16)):
        index = int(name.split('.')[1])
        if index == first:
            assert (a.stride, b.stride) == ((2, 2), (1, 1)), name
            assert b.dilation == (1, 1), name
        elif index in later:
            assert b.stride == (1, 1) and b.dilation == (2, 2), name
            assert b.padding == (2 * (b.kernel_size[0] // 2), ) * 2, name
        else:
            assert (a.stride, a.dilation, a.padding) == (b.stride, b.dilation,
                                                         b.padding), name
    x = torch.randn(1, 3, 65, 129)
    with torch.no_grad():
        want, got = os32(x), os16(x)
    for a, b in zip(want[:3], got[:3]):  # strides 4, 8, 16: unchanged
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert got[3].shape[-2:] == (5, 9)  # stride 16


def test_block_outputs_and_out_indices():
    net = _ours('large', depthwise_outputs=False)
    assert net.out_channels == (24, 40, 112, 960)
    net = _ours('small', out_indices=(0, 12))
    assert net.out_channels == (16, 576)
    x = torch.randn(1, 3, 65, 129)
    with torch.no_grad():
        assert [tuple(f.shape[1:]) for f in net(x)] == [(16, 33, 65),
                                                        (576, 3, 5)]


def test_frozen_stages_and_errors():
    net = TorchvisionMobileNetV3(arch='small', frozen_stages=2)
    net.train()
    assert not any(p.requires_grad for p in net.features[:3].parameters())
    assert all(p.requires_grad for p in net.features[3:].parameters())
    assert not net.features[2].training and net.features[3].training
    with pytest.raises(ValueError, match="arch='medium'"):
        TorchvisionMobileNetV3(arch='medium')
    with pytest.raises(ValueError, match='out_indices entry 17'):
        TorchvisionMobileNetV3(arch='large', out_indices=(3, 17))
    with pytest.raises(ValueError, match='output_stride=4'):
        TorchvisionMobileNetV3(output_stride=4)
