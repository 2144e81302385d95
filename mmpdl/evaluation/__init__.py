"""mmpdl.evaluation: metrics equal to the official Cityscapes evaluators."""
from .metrics import CityscapesInstanceMetric, CityscapesPanopticMetric

__all__ = ['CityscapesPanopticMetric', 'CityscapesInstanceMetric']
