"""Every model-zoo config builds the original network (parameter count,
output shapes) with the original hyper-parameters."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from .model_zoo_utils import (CONFIG_DIR, ORIGINAL_PARAMS, build_model,
                              model_cfg)


def test_every_leaf_config_is_listed():
    import glob
    leaves = {
        osp.basename(p)
        for p in glob.glob(osp.join(CONFIG_DIR, 'panoptic-deeplab_*.py'))
    }
    assert set(ORIGINAL_PARAMS) <= leaves


@pytest.mark.parametrize('config_name', sorted(ORIGINAL_PARAMS))
def test_parameter_count_equals_original(config_name):
    with torch.device('meta'):
        model = build_model(model_cfg(config_name))
    count = sum(p.numel() for p in model.parameters())
    assert count == ORIGINAL_PARAMS[config_name]
    assert model.decode_head.num_classes == 19


@pytest.mark.parametrize('config_name', sorted(ORIGINAL_PARAMS))
def test_forward_shapes_at_input_resolution(config_name):
    torch.manual_seed(0)
    model = build_model(model_cfg(config_name)).eval()
    with torch.no_grad():
        out = model._forward(torch.randn(1, 3, 65, 129))
    assert tuple(out['sem_seg'].shape) == (1, 19, 65, 129)
    assert tuple(out['center'].shape) == (1, 1, 65, 129)
    assert tuple(out['offset'].shape) == (1, 2, 65, 129)
    assert all(torch.isfinite(v).all() for v in out.values())


# (batch per GPU, lr, BN momentum, mean) of the original YAML configs.
@pytest.mark.parametrize('config_name,batch,lr,momentum,mean', [
    ('panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py', 1, 5e-5,
     0.01, 123.675),
    ('panoptic-deeplab_r101-os32_8xb1-90k_cityscapes-1025x2049.py', 1, 5e-5,
     0.01, 123.675),
    ('panoptic-deeplab_x101-32x8d-os32_8xb1-90k_cityscapes-1025x2049.py', 1,
     5e-5, 0.01, 123.675),
    ('panoptic-deeplab_xception65-os32_8xb1-90k_cityscapes-1025x2049.py', 1,
     5e-4, 0.001, 127.5),
    ('panoptic-deeplab_mobilenetv2-os32_8xb2-90k_cityscapes-1025x2049.py', 2,
     1e-4, 0.01, 123.675),
    ('panoptic-deeplab_hrnetw48-os4_8xb1-90k_cityscapes-1025x2049.py', 1, 5e-5,
     0.01, 123.675),
])
def test_hyper_parameters_match_original(config_name, batch, lr, momentum,
                                         mean):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(lr)
    assert cfg.optim_wrapper.optimizer.weight_decay == 0
    assert cfg.train_cfg.max_iters == 90000
    for part in (cfg.model.backbone, cfg.model.decode_head):
        assert part.norm_cfg.type == 'SyncBN'
        assert part.norm_cfg.momentum == pytest.approx(momentum)
    assert cfg.model.data_preprocessor.mean[0] == pytest.approx(mean)
    head = cfg.model.decode_head
    assert tuple(head.atrous_rates) == (3, 6, 9)
    assert tuple(head.semantic_branch.low_level_projections) == (128, 64, 32)
    assert tuple(head.instance_branch.low_level_projections) == (64, 32, 16)
    assert head.instance_branch.decoder_channels == 128
    assert head.instance_branch.head_channels == 32
    assert cfg.model.post_processor.center_threshold == 0.1
    assert cfg.model.post_processor.nms_kernel == 7
    assert cfg.model.post_processor.top_k == 200
    assert cfg.model.post_processor.stuff_area == 2048
