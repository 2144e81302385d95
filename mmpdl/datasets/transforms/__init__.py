"""Panoptic transforms (registered in ``mmpdl.registry.TRANSFORMS``)."""
from .formatting import PackPanopticInputs
from .geometric import (PanopticRandomCrop, PanopticRandomFlip,
                        PanopticRandomResize, PanopticResizeShortestEdge)
from .inference_loading import LoadInferenceImage, to_bgr_uint8
from .loading import LoadPanopticAnnotations, read_rgb_png
from .targets import GeneratePanopticTargets, gaussian_kernel, splat_gaussian

__all__ = [
    'GeneratePanopticTargets', 'LoadInferenceImage', 'LoadPanopticAnnotations',
    'PackPanopticInputs', 'PanopticRandomCrop', 'PanopticRandomFlip',
    'PanopticRandomResize', 'PanopticResizeShortestEdge', 'gaussian_kernel',
    'read_rgb_png', 'splat_gaussian', 'to_bgr_uint8'
]
