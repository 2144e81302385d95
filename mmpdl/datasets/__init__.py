"""Datasets, dataset preparation and transforms."""
from .base_panoptic import BasePanopticDataset
from .cityscapes_meta import CITYSCAPES_META
from .cityscapes_panoptic import CityscapesPanopticDataset
from .cityscapes_prepare import (check_cityscapes_root,
                                 prepare_cityscapes_panoptic)
from .synthetic_cityscapes import make_synthetic_cityscapes, render_scene
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BasePanopticDataset', 'CITYSCAPES_META', 'CityscapesPanopticDataset',
    'check_cityscapes_root', 'prepare_cityscapes_panoptic',
    'make_synthetic_cityscapes', 'render_scene'
]
