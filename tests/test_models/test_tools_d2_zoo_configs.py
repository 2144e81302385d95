"""The original's ``tools_d2`` rows (Xception-65 and HRNet-W48 in
detectron2's Panoptic-DeepLab): their models rebuilt from the original's
code in detectron2 have the parameter counts of the mmpdl configs, and the
configs hold the recipes of its YAML files. Skipped without checkouts of
detectron2 and of the original (see ``detectron2_reference``)."""
import pytest
import torch
from mmengine.config import Config

from .detectron2_reference import tools_d2_config
from .model_zoo_utils import CONFIG_DIR
from .test_detectron2_zoo_configs import (DETECTRON2_PARAMS, H48, H48_COCO,
                                          H48_DS, X65, X65_COCO, X65_DS,
                                          check_recipe)

_CS = 'Cityscapes-PanopticSegmentation/panoptic_deeplab_'
_CROP = '_os16_mg124_poly_90k_bs32_crop_512_1024'
_COCO = ('COCO-PanopticSegmentation/panoptic_deeplab_{}_os16_mg124_poly_'
         '200k_bs64_crop_640_640_coco_dsconv.yaml')
# mmpdl config -> YAML under the original's tools_d2/configs
TOOLS_D2_YAMLS = {
    X65: f'{_CS}X_65{_CROP}.yaml',
    X65_DS: f'{_CS}X_65{_CROP}_dsconv.yaml',
    H48: f'{_CS}H_48{_CROP}.yaml',
    H48_DS: f'{_CS}H_48{_CROP}_dsconv.yaml',
    X65_COCO: _COCO.format('X_65'),
    H48_COCO: _COCO.format('H_48'),
}


@pytest.mark.parametrize('config_name', sorted(TOOLS_D2_YAMLS))
def test_parameter_count_rebuilt_from_tools_d2(config_name):
    cfg = tools_d2_config(TOOLS_D2_YAMLS[config_name])
    cfg.MODEL.DEVICE = 'meta'
    from detectron2.modeling import build_model as build_detectron2
    with torch.device('meta'):
        model = build_detectron2(cfg)
    count = sum(p.numel() for p in model.parameters())
    assert count == DETECTRON2_PARAMS[config_name]


@pytest.mark.parametrize('config_name', sorted(TOOLS_D2_YAMLS))
def test_recipe_equals_tools_d2_yaml(config_name):
    d2 = tools_d2_config(TOOLS_D2_YAMLS[config_name])
    check_recipe(config_name, d2)
    backbone = Config.fromfile(f'{CONFIG_DIR}/{config_name}').model.backbone
    resnets = d2.MODEL.RESNETS
    if d2.MODEL.BACKBONE.NAME == 'd2_xception_65':
        assert backbone.type == 'Xception65'
        assert (resnets.RES4_DILATION, resnets.RES5_DILATION) == (1, 2)
        assert backbone.output_stride == 16
    else:
        assert d2.MODEL.BACKBONE.NAME == 'd2_hrnet'
        assert backbone.type == 'PanopticHRNet'
        assert resnets.DEPTH == 48  # tools_d2's HRNet width
        assert backbone.extra.stage4.num_channels == (48, 96, 192, 384)
