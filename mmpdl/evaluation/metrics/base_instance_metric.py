"""``BaseInstanceMetric``: what the instance metrics share."""
from typing import Optional, Sequence, Tuple

from mmengine.evaluator import BaseMetric
from torch import Tensor

from ..functional.metric_inputs import (SCORE_TYPES, check_writer_args,
                                        instance_field, sample_field)


class BaseInstanceMetric(BaseMetric):
    """Base of the instance metrics: both confidence scores of
    Panoptic-DeepLab are evaluated in one pass; result files.

    Args:
        score_types (Sequence[str]): Any of ``'semantic'``
            (``pred_instances.scores``) and ``'semantic_x_center'``
            (``pred_instances.scores_sem_x_ctr``; its metric keys end in
            ``_sem_x_ctr``).
        format_only (bool): Only write the result files (needs
            ``outfile_prefix``) and return no metric.
        outfile_prefix (str, optional): Folder of the result files (also
            written when evaluating).
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Key prefix, default ``default_prefix``.
    """

    def __init__(self,
                 score_types: Sequence[str] = ('semantic',
                                               'semantic_x_center'),
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_writer_args(
            type(self).__name__, format_only, outfile_prefix, score_types)
        self.score_types = list(score_types)
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix

    def predicted_instances(self, sample) -> Tuple[Tensor, Tensor, dict]:
        """The ``pred_instances`` of one sample: ``masks`` (K, H, W) bool,
        ``labels`` (K,) int64 and the (K,) float scores of each score type
        (a dict)."""
        inst = sample_field(sample, 'pred_instances')
        masks, labels = (instance_field(inst, k) for k in ('masks', 'labels'))
        return masks, labels, {
            name: instance_field(inst, SCORE_TYPES[name][0])
            for name in self.score_types
        }
