"""mmpdl.evaluation.functional: the arithmetic of the metrics (PQ
statistics, instance AP, official-format writers), no registry."""
from .instance_ap import evaluate_instance_ap, precision_recall_ap
from .instance_statistics import instance_image_statistics
from .panoptic_quality import (panoptic_image_statistics,
                               summarize_panoptic_quality)

__all__ = [
    'panoptic_image_statistics', 'summarize_panoptic_quality',
    'instance_image_statistics', 'evaluate_instance_ap', 'precision_recall_ap'
]
