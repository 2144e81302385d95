"""Visualization of panoptic results."""
from .colors import (heatmap_to_rgb, instance_shade, offset_to_rgb,
                     panoptic_to_rgb)
from .panoptic_visualizer import PanopticLocalVisualizer

__all__ = [
    'PanopticLocalVisualizer', 'heatmap_to_rgb', 'instance_shade',
    'offset_to_rgb', 'panoptic_to_rgb'
]
