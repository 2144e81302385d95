"""``PanopticQualityMetric``: PQ/SQ/RQ of any COCO-panoptic class list."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from mmpdl.datasets.panoptic_export import write_panoptic_json
from mmpdl.registry import METRICS
from mmpdl.structures import PanopticMetaInfo
from ..functional.metric_inputs import (check_writer_args, sample_field,
                                        sample_image_id)
from ..functional.panoptic_quality import (panoptic_image_statistics,
                                           summarize_panoptic_quality)
from ..functional.panoptic_writers import (OutputNames, check_unique_outputs,
                                           panoptic_categories,
                                           write_panoptic_png)


@METRICS.register_module()
class PanopticQualityMetric(BaseMetric):
    """Panoptic quality with the rules of panopticapi's ``pq_compute``.

    The classes, thing ids, category ids (``label_ids``), label divisor
    and ignore index come from ``dataset_meta`` (the dataset's
    ``metainfo``), so any COCO-panoptic class list is evaluated. The rules
    are those of panopticapi, which cityscapesscripts'
    ``evalPanopticSemanticLabeling`` implements identically: a predicted
    and a ground-truth segment of one category match when their IoU
    (union without the predicted pixels on void) is above 0.5; crowd
    ground truth is never matched nor a false negative; an unmatched
    prediction is no false positive when more than half of it lies on void
    or on the crowd region of its category.

    In mmpdl's encoding the crowd regions of one class in one image are one
    segment (``thing_id * label_divisor``); panopticapi, given several crowd
    segments of a category in one image, uses only the last one listed for
    that last rule. A crowd flag on a stuff segment is not represented
    (COCO has none).

    ``process`` reduces each image to per-category TP/FP/FN/summed IoU (see
    :mod:`..functional.panoptic_quality`), gathered across ranks by
    mmengine; ``compute_metrics`` adds them up. Values are percentages:
    ``PQ``, ``SQ``, ``RQ`` (all categories), ``PQ_th``... (things),
    ``PQ_st``... (stuff) and ``PQ_<class>``, ``SQ_<class>``,
    ``RQ_<class>`` (NaN for a class absent from both ground truth and
    prediction, which is left out of the means as officially).

    With ``outfile_prefix`` the predictions are written in the format of
    the COCO panoptic test-dev submission, with the dataset's own category
    ids: ``<outfile_prefix>/panoptic_<split>_results.json`` and one PNG per
    image in ``<outfile_prefix>/panoptic_<split>_results/`` named after the
    ground-truth PNG (``pan_map_path``) or else the image. ``image_id`` is
    the sample's (the dataset's JSON id), else the image file's stem.

    Args:
        format_only (bool): Only write the result files (needs
            ``outfile_prefix``) and return no metric.
        outfile_prefix (str, optional): Folder to write the results into
            (also when evaluating).
        split (str): ``<split>`` of the result names, e.g. ``'val2017'``,
            ``'test-dev2017'``.
        collect_device (str): ``'cpu'`` or ``'gpu'`` for gathering results.
        prefix (str, optional): Key prefix, default ``panoptic``.
    """

    default_prefix = 'panoptic'

    def __init__(self,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 split: str = 'val2017',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_writer_args(type(self).__name__, format_only, outfile_prefix)
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self.split = split
        self._written = OutputNames()

    @property
    def png_dir(self) -> str:
        """Folder of the written PNGs."""
        return osp.join(self.outfile_prefix, f'panoptic_{self.split}_results')

    @property
    def json_path(self) -> str:
        """Path of the written JSON."""
        return self.png_dir + '.json'

    def image_names(self, sample) -> Tuple[Union[int, str], str]:
        """``image_id`` and PNG file name of a sample's prediction.

        Args:
            sample (dict | PanopticDataSample): With ``img_path`` and
                optionally ``image_id`` and ``pan_map_path``.

        Returns:
            tuple: ``(image_id, file_name)``.
        """
        file_name = sample_field(sample, 'pan_file_name', required=False)
        pan_map_path = sample_field(sample, 'pan_map_path', required=False)
        if not file_name and pan_map_path:
            file_name = osp.basename(pan_map_path)
        elif not file_name:
            img_path = sample_field(sample, 'img_path')
            file_name = osp.splitext(osp.basename(img_path))[0] + '.png'
        image_id = sample_image_id(sample)
        return image_id, file_name

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduce each sample to per-category statistics (and write files).

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): ``PanopticDataSample`` dicts with
                ``pred_panoptic_seg`` (1, H, W) int64, ``gt_panoptic_seg``
                (1, H, W) int64 (unless ``format_only``) and ``img_path``.
        """
        meta = PanopticMetaInfo.of(self.dataset_meta, type(self).__name__)
        for sample in data_samples:
            pred = sample_field(sample, 'pred_panoptic_seg')
            result = {}
            if self.outfile_prefix:
                result['annotation'] = self.write_sample(sample, pred, meta)
            if not self.format_only:
                gt = sample_field(sample, 'gt_panoptic_seg')
                result.update(
                    panoptic_image_statistics(gt, pred, meta.thing_ids,
                                              meta.num_classes,
                                              meta.label_divisor,
                                              meta.ignore_index))
            self.results.append(result)

    def write_sample(self, sample, pred, meta: PanopticMetaInfo) -> dict:
        """Write the PNG(s) of one sample; return its JSON annotation.

        Raises:
            ValueError: An earlier sample of this evaluation had the same
                PNG name or image id (it would be overwritten).
        """
        image_id, file_name = self.image_names(sample)
        self._written.claim(image_id, file_name, sample)
        return write_panoptic_png(pred.cpu().numpy(), image_id, file_name,
                                  self.png_dir, meta.label_ids,
                                  meta.label_divisor, meta.ignore_index)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the per-image statistics and compute PQ/SQ/RQ.

        Args:
            results (list[dict]): Gathered outputs of ``process``.

        Returns:
            dict[str, float]: Percentages (empty when ``format_only``).
        """
        logger = MMLogger.get_current_instance()
        meta = PanopticMetaInfo.of(self.dataset_meta, type(self).__name__)
        self._written = OutputNames()
        if self.outfile_prefix:
            annotations = [r['annotation'] for r in results]
            check_unique_outputs(annotations, self.json_path)
            write_panoptic_json(
                self.json_path, annotations,
                panoptic_categories(meta.classes, meta.label_ids,
                                    meta.thing_ids))
            print_log(
                f'Panoptic results written to {self.json_path}', logger=logger)
        if self.format_only:
            return {}
        totals = {
            key: np.sum([r[key] for r in results], axis=0)
            for key in ('tp', 'fp', 'fn', 'iou')
        }
        summary = summarize_panoptic_quality(totals['tp'], totals['fp'],
                                             totals['fn'], totals['iou'],
                                             meta.thing_ids, meta.stuff_ids)
        log_panoptic_tables(summary, meta.classes, logger)
        metrics = {}
        for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff',
                                                               '_st')):
            for key in ('pq', 'sq', 'rq'):
                metrics[key.upper() + suffix] = 100 * summary[group][key]
        for i, name in enumerate(meta.classes):
            for key in ('pq', 'sq', 'rq'):
                metrics[f'{key.upper()}_{name}'] = float(
                    100 * summary['per_class'][key][i])
        return metrics


def log_panoptic_tables(summary: dict, classes: Sequence[str], logger) -> None:
    """Print per-class and summary tables like the official script.

    Args:
        summary (dict): Output of ``summarize_panoptic_quality``.
        classes (Sequence[str]): Class names per train id.
        logger (MMLogger): Where to print.
    """
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
            '(as panopticapi/cityscapesscripts do).',
            logger=logger)
