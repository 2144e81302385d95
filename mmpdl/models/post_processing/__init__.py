"""Panoptic post-processing: the registered post-processor module and its
functions (pure torch, batched, CPU and GPU)."""
from .centers import find_instance_centers
from .grouping import group_thing_pixels
from .panoptic import (get_panoptic_segmentation, merge_semantic_and_instance,
                       score_instances)
from .post_processor import PanopticDeepLabPostProcessor

__all__ = [
    'find_instance_centers', 'get_panoptic_segmentation', 'group_thing_pixels',
    'merge_semantic_and_instance', 'score_instances',
    'PanopticDeepLabPostProcessor'
]
