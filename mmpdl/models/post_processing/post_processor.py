"""``PanopticDeepLabPostProcessor``: network outputs -> panoptic prediction.

The registered module around :func:`get_panoptic_segmentation`. Its own
settings are the post-processing thresholds; the thing classes, label
divisor and ignore index are the dataset's :class:`PanopticMetaInfo`, from
the data sample's metainfo (put there by the dataset and
``PackPanopticInputs``) or else from the model's ``dataset_meta`` (a
checkpoint's ``meta['dataset_meta']``).
"""
from typing import Optional

from mmengine.model import BaseModule
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmpdl.registry import MODELS
from mmpdl.structures import SAMPLE_KEY, PanopticMetaInfo
from .panoptic import get_panoptic_segmentation


@MODELS.register_module()
class PanopticDeepLabPostProcessor(BaseModule):
    """Center selection, grouping and merging of Panoptic-DeepLab.

    Args:
        center_threshold (float): Center score threshold (0.1).
        nms_kernel (int): Center NMS window (7).
        top_k (int, optional): Maximum number of centers (200).
        stuff_area (int): Stuff segments with fewer pixels become void
            (2048).
        init_cfg (dict, optional): Unused (no weights).
    """

    def __init__(self,
                 center_threshold: float = 0.1,
                 nms_kernel: int = 7,
                 top_k: Optional[int] = 200,
                 stuff_area: int = 2048,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.center_threshold = center_threshold
        self.nms_kernel = nms_kernel
        self.top_k = top_k
        self.stuff_area = stuff_area

    @staticmethod
    def panoptic_meta(metainfo: dict, dataset_meta,
                      num_classes: int) -> PanopticMetaInfo:
        """The dataset's metadata for one sample: the sample's
        ``panoptic_meta`` (put there by the dataset and
        ``PackPanopticInputs``), else the model's ``dataset_meta``.

        Args:
            metainfo (dict): The data sample's metainfo.
            dataset_meta (PanopticMetaInfo | dict, optional): The model's
                ``dataset_meta``.
            num_classes (int): Classes the network predicts.

        Raises:
            KeyError: Neither is given.
            ValueError: Their class count is not ``num_classes``.
        """
        meta = PanopticMetaInfo.of(
            metainfo.get(SAMPLE_KEY) or dataset_meta or None,
            'the post-processor')
        meta.check_num_classes(num_classes, 'the network')
        return meta

    @property
    def settings(self) -> dict:
        """The post-processor's own arguments (thresholds, NMS kernel,
        top-k, stuff area): ``PanopticDeepLabPostProcessor(**settings)``
        makes it again (e.g. from an exported file's metadata)."""
        return dict(
            center_threshold=self.center_threshold,
            nms_kernel=self.nms_kernel,
            top_k=self.top_k,
            stuff_area=self.stuff_area)

    def function_kwargs(self, dataset_meta, num_classes: int) -> dict:
        """Keyword arguments of :func:`get_panoptic_segmentation` for a
        model with its ``dataset_meta`` (e.g. for an export that has no data
        samples).

        Args:
            dataset_meta (PanopticMetaInfo | dict): The model's metadata.
            num_classes (int): Classes the network predicts.

        Returns:
            dict: The thresholds, ``thing_ids``, ``label_divisor`` and
            ``ignore_index``.
        """
        meta = self.panoptic_meta({}, dataset_meta, num_classes)
        return dict(
            **self.settings,
            thing_ids=list(meta.thing_ids),
            label_divisor=meta.label_divisor,
            ignore_index=meta.ignore_index)

    def predict(self, raw: dict, sample, dataset_meta: Optional[dict] = None):
        """Post-process one image and fill its data sample.

        Args:
            raw (dict): ``sem_logits`` (C, H, W) float (stored as
                ``seg_logits``), ``sem_probs`` (C, H, W) softmax, ``center``
                (1, H, W), ``offset`` (2, H, W) (dy, dx) and optionally
                ``sem_seg`` (H, W) int64 labels (else the argmax of
                ``sem_logits``).
            sample (PanopticDataSample): Its metainfo may carry the
                dataset's ``panoptic_meta``; filled in place.
            dataset_meta (PanopticMetaInfo | dict, optional): The model's
                ``dataset_meta``, used when the sample has none.

        Returns:
            PanopticDataSample: ``sample`` with ``seg_logits``,
            ``pred_sem_seg`` (1, H, W), ``pred_center``, ``pred_offset``,
            ``pred_panoptic_seg`` (1, H, W) int64 and ``pred_instances``.
        """
        sem_probs = raw['sem_probs']
        sem_seg = raw.get('sem_seg')
        if sem_seg is None:
            sem_seg = raw['sem_logits'].max(0).indices
        kwargs = self.function_kwargs(
            sample.metainfo.get(SAMPLE_KEY) or dataset_meta,
            sem_probs.shape[0])
        result = get_panoptic_segmentation(
            sem_probs[None],
            raw['center'][None],
            raw['offset'][None],
            sem_seg=sem_seg[None],
            **kwargs)[0]
        return self.fill_sample(sample, raw, sem_seg, result['panoptic'],
                                result['instances'])

    @staticmethod
    def fill_sample(sample, raw: dict, sem_seg: Tensor, panoptic: Tensor,
                    instances):
        """Write one image's prediction into ``sample`` (returned): the one
        place the fields of :meth:`predict` are filled (an exported graph's
        results too). ``raw`` as in :meth:`predict`; ``sem_seg`` and
        ``panoptic`` (H, W) int64; ``instances`` (InstanceData or dict)
        ``masks``, ``labels``, ``scores``, ``scores_sem_x_ctr``,
        ``instance_ids``."""
        sample.seg_logits = PixelData(data=raw['sem_logits'])
        sample.pred_sem_seg = PixelData(data=sem_seg[None])
        sample.pred_center = PixelData(data=raw['center'])
        sample.pred_offset = PixelData(data=raw['offset'])
        sample.pred_panoptic_seg = PixelData(data=panoptic[None])
        sample.pred_instances = instances if isinstance(
            instances, InstanceData) else InstanceData(**instances)
        return sample

    def extra_repr(self) -> str:
        return (f'center_threshold={self.center_threshold}, nms_kernel='
                f'{self.nms_kernel}, top_k={self.top_k}, stuff_area='
                f'{self.stuff_area}')
