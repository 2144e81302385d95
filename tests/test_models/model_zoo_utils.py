"""Shared helpers of the model tests: the model-zoo configs, with BN."""
import os.path as osp

from mmengine.config import Config

from mmpdl.datasets import fill_dataset_meta
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import ROOT

CONFIG_DIR = osp.join(ROOT, 'configs', 'panoptic_deeplab')
BASE_MODEL = osp.join(ROOT, 'configs', '_base_', 'models',
                      'panoptic_deeplab_r50.py')
BN = dict(type='BN', requires_grad=True)

# leaf config -> parameter count of the original model (19 classes).
ORIGINAL_PARAMS = {
    'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py': 55308870,
    'panoptic-deeplab_r101-os32_8xb1-90k_cityscapes-1025x2049.py': 74300998,
    'panoptic-deeplab_x101-32x8d-os32_8xb1-90k_cityscapes-1025x2049.py':
    118543174,
    'panoptic-deeplab_xception65-os32_8xb1-90k_cityscapes-1025x2049.py':
    69632054,
    'panoptic-deeplab_mobilenetv2-os32_8xb2-90k_cityscapes-1025x2049.py':
    7719814,
    'panoptic-deeplab_hrnetw48-os4_8xb1-90k_cityscapes-1025x2049.py': 72209222,
}
R50_OS32 = 'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py'


def model_cfg(config_name: str):
    """The ``model`` of a leaf config, SyncBN -> BN, no pretrained init,
    with what ``tools/train.py`` takes from the dataset written in
    (:func:`fill_dataset_meta`; left None where the dataset's annotation
    file is not here)."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    fill_dataset_meta(cfg, check=False)
    model = cfg.model
    model.backbone.norm_cfg = dict(BN)
    model.decode_head.norm_cfg = dict(BN)
    model.backbone.init_cfg = None
    return model


def build_model(model):
    """Build a model config in the mmpdl scope."""
    register_all_modules()
    return MODELS.build(model)
