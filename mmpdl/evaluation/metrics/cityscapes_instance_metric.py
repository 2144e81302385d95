"""``CityscapesInstanceMetric``: AP/AP50 equal to cityscapesscripts'."""
import os.path as osp
import warnings
from typing import Dict, List, Sequence

import numpy as np
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from mmpdl.registry import METRICS
from mmpdl.structures import PanopticMetaInfo
from ..functional.cityscapes_writers import (cityscapes_image_id,
                                             write_instance_txt)
from ..functional.instance_ap import (MIN_REGION_SIZE, OVERLAPS,
                                      concat_instance_statistics,
                                      evaluate_instance_ap)
from ..functional.instance_statistics import instance_image_statistics
from ..functional.metric_inputs import SCORE_TYPES, sample_field
from .base_instance_metric import BaseInstanceMetric


@METRICS.register_module()
class CityscapesInstanceMetric(BaseInstanceMetric):
    """AP with the rules of ``evalInstanceLevelSemanticLabeling``: keys
    ``AP``, ``AP50``, ``AP_<class>``, ``AP50_<class>`` (``_sem_x_ctr``
    after ``AP``/``AP50`` for that score). Values are percentages; a class
    without evaluated ground truth is NaN and left out of the means, as
    officially.

    ``process`` keeps per image only labels, areas, void overlaps, scores
    and same-label intersections (see :mod:`.instance_statistics`).

    Known deviation: ground truth comes from ``gt_panoptic_seg``, where
    instances of classes that are ignored in evaluation but have instances
    (caravan, trailer) are void; the official script reads them from
    ``*_instanceIds.png`` and does not count them as void.

    Args: those of :class:`BaseInstanceMetric`; ``outfile_prefix`` gets
    the submission files ``instance_sem[_x_ctr]/<image_id>_pred.txt`` +
    ``masks/*.png``.
    """

    default_prefix = 'cityscapes_instance'

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduce each sample to compact instance statistics.

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): ``PanopticDataSample`` dicts with
                ``pred_instances`` (``masks`` (K, H, W) bool, ``labels``
                (K,) int64, ``scores``/``scores_sem_x_ctr`` (K,) float),
                ``gt_panoptic_seg`` (1, H, W) int64 and ``img_path``.
        """
        meta = PanopticMetaInfo.of(self.dataset_meta, type(self).__name__)
        for sample in data_samples:
            masks, labels, scores = self.predicted_instances(sample)
            if self.outfile_prefix:
                self._write(sample, masks, labels, scores, meta)
            if self.format_only:
                self.results.append({})
                continue
            gt = sample_field(sample, 'gt_panoptic_seg')
            self.results.append(
                instance_image_statistics(gt, masks, labels, scores,
                                          meta.thing_ids, meta.label_divisor,
                                          meta.ignore_index))

    def _write(self, sample, masks, labels, scores, meta) -> None:
        """Write the instance txt + masks of one sample per score type."""
        image_id = cityscapes_image_id(sample_field(sample, 'img_path'))
        masks_np = masks.cpu().numpy().astype(bool)
        labels_np = labels.cpu().numpy()
        for name, value in scores.items():
            write_instance_txt(
                masks_np, labels_np,
                value.detach().cpu().double().numpy(), image_id,
                osp.join(self.outfile_prefix, SCORE_TYPES[name][2]),
                meta.label_ids)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """AP (mean over 0.5:0.95) and AP50 per score type and class.

        Args:
            results (list[dict]): Gathered outputs of ``process``.

        Returns:
            dict[str, float]: Percentages (empty when ``format_only``).
        """
        if self.format_only:
            return {}
        logger = MMLogger.get_current_instance()
        meta = PanopticMetaInfo.of(self.dataset_meta, type(self).__name__)
        thing_ids = list(meta.thing_ids)
        names = [meta.classes[i] for i in thing_ids]
        stats = concat_instance_statistics(results)
        o50 = int(np.argmin(np.abs(OVERLAPS - 0.5)))
        metrics = {}
        table = PrettyTable(
            ['Class'] + [f'AP{SCORE_TYPES[t][1]}' for t in self.score_types] +
            [f'AP50{SCORE_TYPES[t][1]}' for t in self.score_types])
        columns = []
        for score_type in self.score_types:
            suffix = SCORE_TYPES[score_type][1]
            ap = evaluate_instance_ap(stats, thing_ids, score_type, OVERLAPS,
                                      MIN_REGION_SIZE)
            with warnings.catch_warnings():
                # a mean of only NaN is NaN, as in the official script
                warnings.simplefilter('ignore', RuntimeWarning)
                metrics[f'AP{suffix}'] = 100 * float(np.nanmean(ap))
                metrics[f'AP50{suffix}'] = 100 * float(np.nanmean(ap[:, o50]))
            per_ap = ap.mean(1)
            for name, value, value50 in zip(names, per_ap, ap[:, o50]):
                metrics[f'AP{suffix}_{name}'] = 100 * float(value)
                metrics[f'AP50{suffix}_{name}'] = 100 * float(value50)
            columns.append((per_ap, metrics[f'AP{suffix}']))
            columns.append((ap[:, o50], metrics[f'AP50{suffix}']))
        order = list(range(0, len(columns), 2)) + list(
            range(1, len(columns), 2))
        for i, name in enumerate(names):
            table.add_row([name] +
                          [f'{100 * columns[j][0][i]:.1f}' for j in order])
        table.add_row(['average'] + [f'{columns[j][1]:.1f}' for j in order])
        print_log('\n' + table.get_string(), logger=logger)
        return metrics
