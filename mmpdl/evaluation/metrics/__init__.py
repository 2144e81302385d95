"""mmpdl.evaluation.metrics: the registered metric classes."""
from .cityscapes_instance_metric import CityscapesInstanceMetric
from .cityscapes_panoptic_metric import CityscapesPanopticMetric
from .coco_instance_metric import CocoInstanceMetric
from .dump_panoptic_results import DumpPanopticResults
from .panoptic_quality_metric import PanopticQualityMetric

__all__ = [
    'PanopticQualityMetric', 'CityscapesPanopticMetric',
    'CityscapesInstanceMetric', 'CocoInstanceMetric', 'DumpPanopticResults'
]
