"""Segmentors."""
from .panoptic_deeplab import PanopticDeepLab
from .panoptic_tta import PanopticTTAModel

__all__ = ['PanopticDeepLab', 'PanopticTTAModel']
