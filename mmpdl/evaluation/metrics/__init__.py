"""mmpdl.evaluation.metrics: the registered metric classes."""
from .cityscapes_instance_metric import CityscapesInstanceMetric
from .cityscapes_panoptic_metric import CityscapesPanopticMetric

__all__ = ['CityscapesPanopticMetric', 'CityscapesInstanceMetric']
