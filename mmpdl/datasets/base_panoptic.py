"""``BasePanopticDataset``: publishes the panoptic metadata of a dataset.

The dataset makes the one :class:`PanopticMetaInfo` of its classes
(validated once) and every component downstream takes it: the transforms
and the post-processor from the ``panoptic_meta`` entry this class adds to
each data info (``PackPanopticInputs`` copies it into the data sample), the
metrics and the visualizer from the Runner's ``dataset_meta`` (the
dataset's ``metainfo``, its :meth:`PanopticMetaInfo.to_dict`), inference
from a checkpoint's ``meta['dataset_meta']``.
"""
from functools import cached_property
from typing import List

from mmseg.datasets import BaseSegDataset

from mmpdl.structures import SAMPLE_KEY, PanopticMetaInfo


class BasePanopticDataset(BaseSegDataset):
    """A ``BaseSegDataset`` whose samples carry their panoptic metadata.

    ``METAINFO`` (updated by the config's ``metainfo``) must hold
    ``classes``, ``thing_ids`` (train ids) and ``label_ids`` (the category
    id of each train id in the annotation files), and may hold ``palette``,
    ``label_divisor`` and ``ignore_index`` (see :class:`PanopticMetaInfo`);
    ``stuff_ids`` are derived. Subclasses implement ``load_data_list``
    giving, per image, ``img_path``, ``pan_map_path`` and ``segments_info``
    (``id``, ``category_id``, ``iscrowd``).
    """

    METAINFO: dict = {}

    @classmethod
    def _load_metainfo(cls, metainfo: dict = None) -> dict:
        """``METAINFO`` updated by the config's ``metainfo``, checked once
        and completed by :class:`PanopticMetaInfo`."""
        meta = super()._load_metainfo(metainfo)
        meta.update(
            PanopticMetaInfo.from_dict(meta,
                                       f'{cls.__name__} metainfo').to_dict())
        return meta

    @cached_property
    def panoptic_meta(self) -> PanopticMetaInfo:
        """The dataset's class metadata."""
        return PanopticMetaInfo.from_dict(self._metainfo,
                                          f'{type(self).__name__} metainfo')

    def get_data_info(self, idx: int) -> dict:
        """The data info of sample ``idx`` with the dataset's
        :class:`PanopticMetaInfo` under ``'panoptic_meta'``."""
        info = super().get_data_info(idx)
        info[SAMPLE_KEY] = self.panoptic_meta
        return info

    def check_categories(self, segments_info: List[dict], where: str) -> None:
        """Raise if a segment's ``category_id`` is not a dataset class.

        Args:
            segments_info (list[dict]): Segments of one image.
            where (str): The annotation file and image, for the error.
        """
        known = self.panoptic_meta.train_id_of_category()
        for seg in segments_info:
            if seg['category_id'] not in known:
                raise ValueError(
                    f'{where}: segment {seg["id"]} has unknown category_id '
                    f'{seg["category_id"]} (the dataset\'s label_ids are '
                    f'{sorted(known)}). Give the segment one of these '
                    'category ids, or add its category to the dataset (the '
                    'JSON\'s "categories" or the metainfo\'s label_ids).')
