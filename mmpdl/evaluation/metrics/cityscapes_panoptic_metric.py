"""``CityscapesPanopticMetric``: PQ/SQ/RQ equal to cityscapesscripts'."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from mmpdl.registry import METRICS
from ..functional.cityscapes_writers import (cityscapes_image_id,
                                             write_panoptic_json,
                                             write_panoptic_png,
                                             write_semantic_png)
from ..functional.metric_inputs import resolve_meta, sample_field
from ..functional.panoptic_quality import (panoptic_image_statistics,
                                           summarize_panoptic_quality)


@METRICS.register_module()
class CityscapesPanopticMetric(BaseMetric):
    """Panoptic quality with the rules of ``evalPanopticSemanticLabeling``.

    ``process`` reduces each image to per-category TP/FP/FN/summed IoU (see
    :mod:`.panoptic_quality`), gathered across ranks by mmengine;
    ``compute_metrics`` adds them up. Values are percentages:
    ``PQ``, ``SQ``, ``RQ`` (all categories), ``PQ_th``... (things),
    ``PQ_st``... (stuff) and ``PQ_<class>``, ``SQ_<class>``,
    ``RQ_<class>`` per class (NaN for a class absent from both ground truth
    and prediction, which is left out of the means as officially).

    Args:
        format_only (bool): Only write the submission files (needs
            ``outfile_prefix``) and return no metric.
        outfile_prefix (str, optional): Write ``panoptic.json`` +
            ``panoptic/*.png`` (COCO panoptic, Cityscapes label ids) and
            ``semantic/*_pred_labelIds.png`` under this folder (also when
            evaluating).
        collect_device (str): ``'cpu'`` or ``'gpu'`` for gathering results.
        prefix (str, optional): Key prefix, default ``cityscapes_panoptic``.
    """

    default_prefix = 'cityscapes_panoptic'

    def __init__(self,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and not outfile_prefix:
            raise ValueError('CityscapesPanopticMetric(format_only=True) '
                             'needs outfile_prefix=<folder to write to>.')
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduce each sample to per-category statistics (and write files).

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): ``PanopticDataSample`` dicts with
                ``pred_panoptic_seg`` (1, H, W) int64, ``gt_panoptic_seg``
                (1, H, W) int64 (unless ``format_only``), ``img_path`` and,
                for writing, ``pred_sem_seg`` (1, H, W).
        """
        meta = resolve_meta(self.dataset_meta)
        for sample in data_samples:
            pred = sample_field(sample, 'pred_panoptic_seg')
            result = {}
            if self.outfile_prefix:
                result['annotation'] = self._write(sample, pred, meta)
            if not self.format_only:
                gt = sample_field(sample, 'gt_panoptic_seg')
                result.update(
                    panoptic_image_statistics(gt, pred, meta['thing_ids'],
                                              len(meta['classes']),
                                              meta['label_divisor'],
                                              meta['ignore_index']))
            self.results.append(result)

    def _write(self, sample, pred, meta) -> dict:
        """Write the panoptic and semantic PNGs of one sample."""
        image_id = cityscapes_image_id(sample_field(sample, 'img_path'))
        annotation = write_panoptic_png(
            pred.cpu().numpy(), image_id,
            osp.join(self.outfile_prefix, 'panoptic'), meta['label_ids'],
            meta['label_divisor'], meta['ignore_index'])
        sem = sample_field(sample, 'pred_sem_seg', required=False)
        if sem is not None:
            write_semantic_png(sem.cpu().numpy(), image_id,
                               osp.join(self.outfile_prefix, 'semantic'),
                               meta['label_ids'])
        return annotation

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the per-image statistics and compute PQ/SQ/RQ.

        Args:
            results (list[dict]): Gathered outputs of ``process``.

        Returns:
            dict[str, float]: Percentages (empty when ``format_only``).
        """
        logger = MMLogger.get_current_instance()
        meta = resolve_meta(self.dataset_meta)
        if self.outfile_prefix:
            json_path = osp.join(self.outfile_prefix, 'panoptic.json')
            write_panoptic_json([r['annotation'] for r in results], json_path,
                                meta['classes'], meta['label_ids'],
                                meta['thing_ids'])
            print_log(
                f'Panoptic results written to {json_path}', logger=logger)
        if self.format_only:
            return {}
        totals = {
            key: np.sum([r[key] for r in results], axis=0)
            for key in ('tp', 'fp', 'fn', 'iou')
        }
        summary = summarize_panoptic_quality(totals['tp'], totals['fp'],
                                             totals['fn'], totals['iou'],
                                             meta['thing_ids'],
                                             meta['stuff_ids'])
        self._log_tables(summary, meta['classes'], logger)
        metrics = {}
        for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff',
                                                               '_st')):
            for key in ('pq', 'sq', 'rq'):
                metrics[key.upper() + suffix] = 100 * summary[group][key]
        for i, name in enumerate(meta['classes']):
            for key in ('pq', 'sq', 'rq'):
                metrics[f'{key.upper()}_{name}'] = float(
                    100 * summary['per_class'][key][i])
        return metrics

    @staticmethod
    def _log_tables(summary: dict, classes: Sequence[str], logger) -> None:
        """Print per-class and summary tables like the official script."""
        per_class = PrettyTable(['Category', 'PQ', 'SQ', 'RQ'])
        for i, name in enumerate(classes):
            per_class.add_row([name] + [
                f"{100 * summary['per_class'][k][i]:.1f}"
                for k in ('pq', 'sq', 'rq')
            ])
        overall = PrettyTable(['', 'PQ', 'SQ', 'RQ', 'N'])
        for group in ('All', 'Things', 'Stuff'):
            overall.add_row(
                [group] +
                [f'{100 * summary[group][k]:.1f}'
                 for k in ('pq', 'sq', 'rq')] + [summary[group]['n']])
        absent = [
            name for i, name in enumerate(classes)
            if np.isnan(summary['per_class']['pq'][i])
        ]
        print_log('\n' + per_class.get_string(), logger=logger)
        print_log('\n' + overall.get_string(), logger=logger)
        if absent:
            print_log(
                f'Classes {absent} appear in neither ground truth nor '
                'prediction: reported as nan and left out of the means '
                '(as cityscapesscripts does).',
                logger=logger)
