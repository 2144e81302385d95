"""mmpdl.evaluation.metrics: the registered metric classes."""
from .cityscapes_instance_metric import CityscapesInstanceMetric
from .cityscapes_panoptic_metric import CityscapesPanopticMetric
from .dump_panoptic_results import DumpPanopticResults

__all__ = [
    'CityscapesPanopticMetric', 'CityscapesInstanceMetric',
    'DumpPanopticResults'
]
