"""Datasets, dataset preparation and transforms."""
from .base_panoptic import BasePanopticDataset
from .cityscapes_meta import CITYSCAPES_META, CITYSCAPES_PANOPTIC_META
from .cityscapes_panoptic import CityscapesPanopticDataset
from .cityscapes_prepare import (check_cityscapes_root,
                                 prepare_cityscapes_panoptic)
from .coco_panoptic import CocoPanopticDataset
from .config_meta import config_dataset_meta, fill_dataset_meta
from .panoptic_categories import metainfo_from_categories
from .synthetic_cityscapes import make_synthetic_cityscapes
from .synthetic_coco_panoptic import (SYNTHETIC_COCO_CATEGORIES,
                                      make_synthetic_coco_panoptic)
from .synthetic_scenes import render_scene
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BasePanopticDataset', 'CITYSCAPES_META', 'CITYSCAPES_PANOPTIC_META',
    'CityscapesPanopticDataset', 'CocoPanopticDataset',
    'SYNTHETIC_COCO_CATEGORIES', 'check_cityscapes_root',
    'config_dataset_meta', 'fill_dataset_meta', 'make_synthetic_cityscapes',
    'make_synthetic_coco_panoptic', 'metainfo_from_categories',
    'prepare_cityscapes_panoptic', 'render_scene'
]
