"""The MobileNetV3 configs: deeplab2's Cityscapes Panoptic-DeepLab recipes
(configs/cityscapes/panoptic_deeplab/mobilenet_v3_*_os*.textproto), their
parameter counts, and a few training iterations on the built-in data."""
import math
import os.path as osp

import pytest
import torch
import torchvision
from mmengine.config import Config

from mmpdl.testing.tiny_training import (make_tiny_builtin_data,
                                         tiny_training_config, train_tiny)
from .model_zoo_utils import CONFIG_DIR, build_model, model_cfg

LARGE_OS16 = ('panoptic-deeplab_mobilenetv3-large-os16_8xb8-60k_'
              'cityscapes-1025x2049.py')
LARGE_OS32 = ('panoptic-deeplab_mobilenetv3-large-os32_8xb8-30k_'
              'cityscapes-1025x2049.py')
SMALL_OS16 = ('panoptic-deeplab_mobilenetv3-small-os16_8xb8-60k_'
              'cityscapes-1025x2049.py')
SMALL_OS32 = ('panoptic-deeplab_mobilenetv3-small-os32_8xb8-30k_'
              'cityscapes-1025x2049.py')
# config -> deeplab2's values: (arch, output stride, ASPP rates, base LR,
# iterations, warmup iterations, BN eps, small-instance weight, NMS kernel)
DEEPLAB2 = {
    LARGE_OS16: ('large', 16, (6, 12, 18), 1e-3, 60000, 500, 1e-5, 1.0, 7),
    LARGE_OS32: ('large', 32, (3, 6, 9), 4e-4, 30000, 0, 1e-3, 3.0, 13),
    SMALL_OS16: ('small', 16, (6, 12, 18), 1e-3, 60000, 0, 1e-5, 1.0, 7),
    SMALL_OS32: ('small', 32, (3, 6, 9), 4e-4, 30000, 0, 1e-3, 3.0, 13),
}
# whole model, 19 classes (the head's share is the same for os16 and os32)
PARAMS = dict(large=18_235_510, small=10_483_174)


@pytest.mark.parametrize('config_name', sorted(DEEPLAB2))
def test_parameter_counts(config_name):
    arch = DEEPLAB2[config_name][0]
    with torch.device('meta'):
        model = build_model(model_cfg(config_name))
        reference = getattr(torchvision.models, f'mobilenet_v3_{arch}')()

    def count(module):
        return sum(p.numel() for p in module.parameters())

    assert count(model.backbone) == count(reference.features)
    assert count(model) == PARAMS[arch]


@pytest.mark.parametrize('config_name', sorted(DEEPLAB2))
def test_hyper_parameters_are_deeplab2s(config_name):
    (arch, output_stride, rates, lr, iters, warmup, eps, small_weight,
     nms) = DEEPLAB2[config_name]
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    backbone, head = cfg.model.backbone, cfg.model.decode_head
    assert (backbone.arch, backbone.output_stride) == (arch, output_stride)
    assert backbone.depthwise_outputs is True
    # 8 GPUs x 8 = deeplab2's batch 64; 1025x2049 crops, scale 0.5-2.0
    assert cfg.train_dataloader.batch_size * 8 == 64
    steps = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert tuple(steps['PanopticRandomCrop'].crop_size) == (1025, 2049)
    assert tuple(steps['PanopticRandomResize'].ratio_range) == (0.5, 2.0)
    assert steps['PanopticRandomResize'].step == 0.1
    assert steps['GeneratePanopticTargets'].small_instance_weight == \
        small_weight
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.weight_decay) == ('Adam', 0.0)
    assert optimizer.lr == pytest.approx(lr)
    assert optimizer.eps == pytest.approx(1e-7)  # Keras' Adam
    assert cfg.train_cfg.max_iters == iters
    poly = cfg.param_scheduler[-1]
    # the poly decay of the whole run (mmengine's PolyLR runs over
    # end - begin - 1 steps); the LR curve against deeplab2's formula is in
    # tests/test_engine/test_schedule_parity.py
    assert (poly.type, poly.power, poly.begin, poly.end) == ('PolyLR', 0.9, 0,
                                                             iters + 1)
    if warmup:
        linear = cfg.param_scheduler[0]
        assert linear.type == 'LinearLR' and linear.end == warmup
        assert linear.start_factor == pytest.approx(1 / warmup)
    else:
        assert len(cfg.param_scheduler) == 1 and poly.begin == 0
    for norm in (backbone.norm_cfg, head.norm_cfg):
        assert norm.type == 'SyncBN'
        assert norm.momentum == pytest.approx(0.01)  # TF momentum 0.99
        assert norm.eps == pytest.approx(eps)
    assert tuple(head.atrous_rates) == rates
    assert head.dropout_ratio == pytest.approx(0.1)
    assert tuple(head.low_level_in_index) == (1, 0)  # res3, res2
    semantic, instance = head.semantic_branch, head.instance_branch
    assert tuple(semantic.low_level_projections) == (64, 32)
    assert tuple(instance.low_level_projections) == (32, 16)
    assert (semantic.aspp_channels, semantic.decoder_channels,
            semantic.head_channels) == (256, 256, 256)
    assert (instance.aspp_channels, instance.decoder_channels,
            instance.head_channels) == (256, 128, 32)
    post = cfg.model.post_processor
    assert (post.center_threshold, post.nms_kernel, post.top_k,
            post.stuff_area) == (0.1, nms, 400, 2048)


@pytest.fixture(scope='module')
def builtin_data(tmp_path_factory):
    return make_tiny_builtin_data(str(tmp_path_factory.mktemp('builtin')))


@pytest.mark.parametrize('config_name', sorted(DEEPLAB2))
def test_trains_on_the_builtin_data(config_name, builtin_data, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    result = train_tiny(
        tiny_training_config(cfg, builtin_data, str(tmp_path), max_iters=2))
    assert len(result['losses']) == 2
    for losses in result['losses']:
        assert {'loss_sem', 'loss_center', 'loss_offset'} <= set(losses)
        assert all(math.isfinite(v) for v in losses.values())
    # every weight of the backbone and the head got a step
    changed = {
        k
        for k, v in result['before'].items()
        if v.is_floating_point() and not torch.equal(v, result['after'][k])
    }
    weights = {
        k
        for k, _ in result['model'].named_parameters()
        if k.startswith(('backbone.', 'decode_head.'))
    }
    assert weights <= changed, sorted(weights - changed)[:5]
