"""``PanopticLogProcessor``: a validation log line with the headline
numbers only."""
from typing import Sequence, Tuple

from mmengine.runner import LogProcessor

from mmpdl.registry import LOG_PROCESSORS

HEADLINE_KEYS = ('PQ', 'SQ', 'RQ', 'PQ_th', 'PQ_st', 'AP', 'AP50', 'bbox_AP',
                 'mask_AP', 'mIoU')


@LOG_PROCESSORS.register_module()
class PanopticLogProcessor(LogProcessor):
    """mmengine's ``LogProcessor`` whose val/test summary line keeps only
    the headline metrics.

    The metrics return per-class numbers too (``PQ_road``, ``AP_car`` ...,
    a few hundred keys); they stay in the returned tag, so the vis backends
    and ``scalars.json`` get all of them, and the metrics print them as
    tables. The one-line summary keeps the metrics whose name, after its
    ``prefix/``, is in ``summary_keys``, plus ``time`` and ``data_time``.

    Args:
        summary_keys (Sequence[str]): Metric names kept in the line.
        **kwargs: ``window_size``, ``by_epoch``, ``custom_cfg``,
            ``num_digits`` ... of mmengine's ``LogProcessor``.
    """

    def __init__(self,
                 summary_keys: Sequence[str] = HEADLINE_KEYS,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.summary_keys = tuple(summary_keys)

    def get_log_after_epoch(self,
                            runner,
                            batch_idx: int,
                            mode: str,
                            with_non_scalar: bool = False) -> Tuple[dict, str]:
        """The full tag and the shortened line (see the class doc)."""
        tag, log_str = super().get_log_after_epoch(runner, batch_idx, mode,
                                                   with_non_scalar)
        if not tag:
            return tag, log_str
        first = next(iter(tag))
        header = log_str[:log_str.find(f'{first}: ')]
        items = []
        for name, value in tag.items():
            if not self._in_summary(name):
                continue
            if isinstance(value, float):
                value = f'{value:.{self.num_digits}f}'
            items.append(f'{name}: {value}')
        return tag, header + '  '.join(items)

    def _in_summary(self, name: str) -> bool:
        """Whether the tag ``name`` (e.g. ``cityscapes_panoptic/PQ``)
        belongs to the one-line summary."""
        key = name.split('/')[-1]
        return key in self.summary_keys or key in ('time', 'data_time')
