"""``CocoInstanceMetric``: box and mask AP with pycocotools' COCOeval."""
import contextlib
import io
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.logging import MMLogger, print_log
from pycocotools.coco import COCO

from mmpdl.registry import METRICS
from mmpdl.structures import PanopticMetaInfo
from mmpdl.utils.atomic_io import save_json
from ..functional.coco_instances import (coco_ground_truth, coco_results,
                                         encode_masks, evaluate_coco,
                                         panoptic_to_instances)
from ..functional.metric_inputs import (SCORE_TYPES, sample_field,
                                        sample_image_id)
from .base_instance_metric import BaseInstanceMetric

IOU_TYPES = (('segm', 'mask'), ('bbox', 'bbox'))


@METRICS.register_module()
class CocoInstanceMetric(BaseInstanceMetric):
    """COCO box and mask AP of the instance predictions, as detectron2
    reports them, computed by pycocotools' ``COCOeval``: keys ``mask_AP``,
    ``mask_AP50``, ``mask_AP75``, ``mask_APs``, ``mask_APm``,
    ``mask_APl``, the same with ``bbox_``, and ``mask_AP_<class>``,
    ``bbox_AP_<class>`` (``_sem_x_ctr`` appended for that score). Values
    are percentages; NaN where COCOeval has no ground truth (e.g. no large
    object). Boxes are the tight boxes
    of the predicted masks; mask AP ranks object sizes by mask area.

    Ground truth: with ``ann_file`` the official instance JSON (e.g.
    ``annotations/instances_val2017.json``), its images found by the file
    name of each sample's image and its categories by the dataset's
    ``label_ids``; without it, instances derived from ``gt_panoptic_seg``
    (see :mod:`..functional.coco_instances` for how they differ).

    Args:
        ann_file (str, optional): COCO instance JSON of the evaluated
            split.
        **kwargs: Those of :class:`BaseInstanceMetric`; ``outfile_prefix``
            gets ``coco_instances_results[_sem_x_ctr].json`` (detectron2's
            format: ``image_id``, ``category_id``, ``segmentation``,
            ``bbox``, ``score``).
    """

    default_prefix = 'coco_instance'

    def __init__(self, ann_file: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ann_file = ann_file
        self._coco_gt = None
        if ann_file:
            if not osp.isfile(ann_file):
                raise FileNotFoundError(
                    f'CocoInstanceMetric: ann_file {ann_file!r} not found; '
                    'give the instances JSON of the split (e.g. '
                    'annotations/instances_val2017.json) or leave ann_file '
                    'out to derive instances from the panoptic ground truth.')
            with contextlib.redirect_stdout(io.StringIO()):
                self._coco_gt = COCO(ann_file)
            self._image_of_file = {
                img['file_name']: img['id']
                for img in self._coco_gt.dataset['images']
            }

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Encode each sample's masks (and derived ground truth) as RLEs.

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): ``PanopticDataSample`` dicts with
                ``pred_instances`` (``masks`` (K, H, W) bool, ``labels``
                (K,) int64, ``scores``/``scores_sem_x_ctr`` (K,) float),
                ``img_path`` and, without ``ann_file``, ``gt_panoptic_seg``
                (1, H, W) int64.
        """
        meta = PanopticMetaInfo.of(self.dataset_meta, type(self).__name__)
        for sample in data_samples:
            masks, labels, scores = self.predicted_instances(sample)
            masks = masks.detach().cpu().numpy()
            labels = labels.cpu().tolist()
            keep = [i for i, c in enumerate(labels) if c in meta.thing_ids]
            record = dict(
                image_id=self._image_id(sample),
                size=list(masks.shape[1:]),
                rles=encode_masks(masks[keep].astype(bool)),
                labels=[labels[i] for i in keep],
                scores={
                    name: value.detach().cpu().double()[keep].tolist()
                    for name, value in scores.items()
                })
            if self._coco_gt is None and not self.format_only:
                record['gt'] = panoptic_to_instances(
                    sample_field(sample, 'gt_panoptic_seg'), meta.thing_ids,
                    meta.label_divisor)
            self.results.append(record)

    def _image_id(self, sample):
        """The image's id in ``ann_file``, else the sample's own id."""
        if self._coco_gt is None:
            return sample_image_id(sample)
        img_path = sample_field(sample, 'img_path')
        # the longest tail of the path that is a file_name of ann_file
        # (nested names such as cam1/0001.jpg and cam2/0001.jpg differ)
        parts = osp.normpath(img_path).split(osp.sep)
        for start in range(len(parts)):
            name = '/'.join(parts[start:])
            if name in self._image_of_file:
                return self._image_of_file[name]
        raise KeyError(
            f'CocoInstanceMetric: image {img_path!r} is not in the images '
            f'of ann_file {self.ann_file!r} (no file_name is a tail of its '
            'path); give the instances JSON of the split being evaluated.')

    def _ground_truth(self, results: List[dict], meta: PanopticMetaInfo):
        """COCO ground truth and the evaluated image ids (results' ids are
        replaced by 1, 2, ... for derived ground truth)."""
        if self._coco_gt is not None:
            have = {c['id'] for c in self._coco_gt.dataset['categories']}
            wanted = [int(meta.label_ids[i]) for i in meta.thing_ids]
            missing = [c for c in wanted if c not in have]
            if missing:
                raise ValueError(
                    f'CocoInstanceMetric: thing category ids {missing} of '
                    f'the dataset are not categories of {self.ann_file!r}; '
                    'the dataset label_ids must be the ids of that file.')
            return self._coco_gt, [r['image_id'] for r in results]
        images = []
        for i, record in enumerate(results):
            record['image_id'] = i + 1
            images.append(
                dict(
                    id=i + 1,
                    height=record['size'][0],
                    width=record['size'][1]))
        coco_gt = coco_ground_truth(images, [r['gt'] for r in results],
                                    meta.label_ids, meta.thing_ids)
        return coco_gt, [img['id'] for img in images]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Box and mask AP per score type (and result files).

        Args:
            results (list[dict]): Gathered outputs of ``process``.

        Returns:
            dict[str, float]: Percentages (empty when ``format_only``).
        """
        logger = MMLogger.get_current_instance()
        meta = PanopticMetaInfo.of(self.dataset_meta, type(self).__name__)
        if self.outfile_prefix:
            self._write(results, meta, logger)
        if self.format_only:
            return {}
        coco_gt, image_ids = self._ground_truth(results, meta)
        names = {
            int(meta.label_ids[i]): meta.classes[i]
            for i in meta.thing_ids
        }
        metrics = {}
        for score_type in self.score_types:
            suffix = SCORE_TYPES[score_type][1]
            for iou_type, key in IOU_TYPES:
                dets = self._results_of(results, score_type, meta,
                                        iou_type == 'bbox')
                log = []
                stats, per_cat = evaluate_coco(coco_gt, dets, iou_type,
                                               image_ids, log)
                print_log(
                    f'{key} AP ({score_type} score):\n{log[0]}', logger=logger)
                for name, value in stats.items():
                    metrics[f'{key}_{name}{suffix}'] = 100 * value
                for cat_id, value in per_cat.items():
                    if cat_id in names:
                        metrics[f'{key}_AP{suffix}_{names[cat_id]}'] = (100 *
                                                                        value)
        return metrics

    @staticmethod
    def _results_of(results, score_type, meta, with_box) -> List[dict]:
        """COCO result entries of every image for one score type."""
        dets = []
        for record in results:
            dets += coco_results(record['image_id'], record['rles'],
                                 record['labels'],
                                 record['scores'][score_type], meta.label_ids,
                                 with_box)
        return dets

    def _write(self, results, meta, logger) -> None:
        """One detectron2-style results JSON per score type."""
        for score_type in self.score_types:
            path = osp.join(
                self.outfile_prefix, 'coco_instances_results'
                f'{SCORE_TYPES[score_type][1]}.json')
            save_json(self._results_of(results, score_type, meta, True), path)
            print_log(f'Instance results written to {path}', logger=logger)
