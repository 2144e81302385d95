"""``BasePanopticDataset``: publishes the panoptic metadata of a dataset.

Every component downstream reads the class list, thing ids, label divisor
and ignore index from here: the transforms from the keys this class adds to
each data info, the post-processor from the data samples' metainfo, the
metrics and the visualizer from the Runner's ``dataset_meta``, inference
from the checkpoint's ``meta['dataset_meta']``.
"""
from typing import Dict, List

from mmseg.datasets import BaseSegDataset

#: metainfo keys every panoptic dataset must publish
REQUIRED_META = ('classes', 'thing_ids', 'label_ids', 'label_divisor',
                 'ignore_index')
#: metainfo keys copied into each data info (read by the transforms and,
#: through ``PackPanopticInputs``, by the post-processor)
SAMPLE_META = ('label_ids', 'thing_ids', 'label_divisor', 'ignore_index')


def check_panoptic_meta(meta: dict, owner: str) -> None:
    """Raise if ``meta`` lacks a key or its ids disagree with its classes.

    Args:
        meta (dict): A dataset's metainfo.
        owner (str): Named in the error (the dataset class).
    """
    missing = [key for key in REQUIRED_META if key not in meta]
    if missing:
        raise KeyError(f'{owner} metainfo lacks {missing}; a panoptic '
                       f'dataset publishes {list(REQUIRED_META)}')
    num = len(meta['classes'])
    if len(meta['label_ids']) != num:
        raise ValueError(
            f'{owner} metainfo has {num} classes but '
            f"{len(meta['label_ids'])} label_ids (one dataset category id "
            'per train id)')
    if num > meta['ignore_index']:
        raise ValueError(
            f'{owner} metainfo has {num} classes: train ids 0-{num - 1} '
            f"reach the ignore_index {meta['ignore_index']}; give a larger "
            'ignore_index in metainfo')
    bad = [i for i in meta['thing_ids'] if not 0 <= i < num]
    if bad:
        raise ValueError(f'{owner} metainfo thing_ids {bad} are not train '
                         f'ids in [0, {num})')


class BasePanopticDataset(BaseSegDataset):
    """A ``BaseSegDataset`` whose samples carry their panoptic metadata.

    ``METAINFO`` must hold ``classes``, ``thing_ids`` (train ids),
    ``label_ids`` (the category id of each train id in the annotation
    files), ``label_divisor`` and ``ignore_index``; ``stuff_ids`` is derived
    when absent. Subclasses implement ``load_data_list`` giving, per image,
    ``img_path``, ``pan_map_path`` and ``segments_info`` (``id``,
    ``category_id``, ``iscrowd``).
    """

    METAINFO: dict = {}

    @classmethod
    def _load_metainfo(cls, metainfo: dict = None) -> dict:
        """``METAINFO`` updated by the config's ``metainfo``, checked, with
        ``stuff_ids`` derived when absent."""
        meta = super()._load_metainfo(metainfo)
        check_panoptic_meta(meta, cls.__name__)
        if 'stuff_ids' not in meta:
            things = set(meta['thing_ids'])
            meta['stuff_ids'] = [
                i for i in range(len(meta['classes'])) if i not in things
            ]
        return meta

    @property
    def category_to_train_id(self) -> Dict[int, int]:
        """Category id of the annotation files -> contiguous train id."""
        return {
            int(cat): train_id
            for train_id, cat in enumerate(self._metainfo['label_ids'])
        }

    def get_data_info(self, idx: int) -> dict:
        """The data info of sample ``idx`` with the :data:`SAMPLE_META`
        keys of the dataset's metainfo added."""
        info = super().get_data_info(idx)
        for key in SAMPLE_META:
            info[key] = self._metainfo[key]
        return info

    def check_categories(self, segments_info: List[dict], where: str) -> None:
        """Raise if a segment's ``category_id`` is not a dataset class.

        Args:
            segments_info (list[dict]): Segments of one image.
            where (str): The annotation file and image, for the error.
        """
        known = self.category_to_train_id
        for seg in segments_info:
            if seg['category_id'] not in known:
                raise ValueError(
                    f'{where}: segment {seg["id"]} has unknown category_id '
                    f'{seg["category_id"]} (the dataset\'s label_ids are '
                    f'{sorted(known)}). Give the segment one of these '
                    'category ids, or add its category to the dataset (the '
                    'JSON\'s "categories" or the metainfo\'s label_ids).')
