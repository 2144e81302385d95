"""Inference APIs."""
from .inference import inference_model, init_model
from .panoptic_inferencer import PanopticInferencer

__all__ = ['PanopticInferencer', 'inference_model', 'init_model']
