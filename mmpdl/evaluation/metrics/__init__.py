"""mmpdl.evaluation.metrics: Cityscapes panoptic and instance metrics."""
from .cityscapes_instance_metric import CityscapesInstanceMetric
from .cityscapes_panoptic_metric import CityscapesPanopticMetric
from .dump_panoptic_results import DumpPanopticResults
from .instance_ap import evaluate_instance_ap, precision_recall_ap
from .instance_statistics import instance_image_statistics
from .metric_inputs import cityscapes_default_meta
from .panoptic_quality import (panoptic_image_statistics,
                               summarize_panoptic_quality)

__all__ = [
    'CityscapesPanopticMetric', 'CityscapesInstanceMetric',
    'DumpPanopticResults', 'panoptic_image_statistics',
    'summarize_panoptic_quality', 'instance_image_statistics',
    'evaluate_instance_ap', 'precision_recall_ap', 'cityscapes_default_meta'
]
