"""The model-zoo rows of the original Panoptic-DeepLab and their configs.

Each row pairs the original YAML config (in ``configs/`` of
github.com/bowenc0221/panoptic-deeplab) with the mmpdl leaf config that
builds the same network, and names the row's key fixture
(``tests/data/original_keys/<row>.json``).
"""
import os.path as osp
from typing import NamedTuple, Optional


class OriginalRow(NamedTuple):
    """One model-zoo row: short name, mmpdl config, original YAML."""
    name: str
    mmpdl_config: str
    original_yaml: str


_CFG = ('configs/panoptic_deeplab/'
        'panoptic-deeplab_{}-90k_cityscapes-1025x2049.py')

ORIGINAL_ROWS = (
    OriginalRow('r50-os32', _CFG.format('r50-os32_8xb1'),
                'panoptic_deeplab_R50_os32_cityscapes.yaml'),
    OriginalRow('r101-os32', _CFG.format('r101-os32_8xb1'),
                'panoptic_deeplab_R101_os32_cityscapes.yaml'),
    OriginalRow('x101-32x8d-os32', _CFG.format('x101-32x8d-os32_8xb1'),
                'panoptic_deeplab_X101_32x8d_os32_cityscapes.yaml'),
    OriginalRow('xception65-os32', _CFG.format('xception65-os32_8xb1'),
                'panoptic_deeplab_X65_os32_cityscapes_lr_x10.yaml'),
    OriginalRow('mobilenetv2-os32', _CFG.format('mobilenetv2-os32_8xb2'),
                'panoptic_deeplab_MBNV2_100_os32_cityscapes_bs16_lr_x2.yaml'),
    OriginalRow('hrnetw48-os4', _CFG.format('hrnetw48-os4_8xb1'),
                'panoptic_deeplab_H48_os4_cityscapes.yaml'),
)


def row_of_config(config_path: str) -> Optional[OriginalRow]:
    """The row whose mmpdl config has the file name of ``config_path``."""
    name = osp.basename(config_path)
    for row in ORIGINAL_ROWS:
        if osp.basename(row.mmpdl_config) == name:
            return row
    return None
