"""Datasets, dataset preparation and transforms."""
from .cityscapes_meta import CITYSCAPES_META, LABEL_ID_TO_TRAIN_ID
from .cityscapes_panoptic import CityscapesPanopticDataset
from .cityscapes_prepare import (check_cityscapes_root,
                                 prepare_cityscapes_panoptic)
from .synthetic_cityscapes import make_synthetic_cityscapes, render_scene
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CITYSCAPES_META', 'LABEL_ID_TO_TRAIN_ID', 'CityscapesPanopticDataset',
    'check_cityscapes_root', 'prepare_cityscapes_panoptic',
    'make_synthetic_cityscapes', 'render_scene'
]
