"""Inference APIs."""
from .inference import inference_model, init_model
from .inference_pipeline import (build_inference_pipeline,
                                 inference_pipeline_cfg)
from .panoptic_inferencer import PanopticInferencer

__all__ = [
    'PanopticInferencer', 'build_inference_pipeline', 'inference_model',
    'inference_pipeline_cfg', 'init_model'
]
