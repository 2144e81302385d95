"""``CityscapesPanopticDataset``: the official panoptic ground truth made by
cityscapesscripts (``gtFine/cityscapes_panoptic_<split>.json`` + PNGs), a
COCO-panoptic dataset with Cityscapes' fixed metadata."""
import logging
import os.path as osp
from typing import List, Optional

from mmengine.logging import print_log

from mmpdl.registry import DATASETS
from .cityscapes_meta import CITYSCAPES_META
from .coco_panoptic import CocoPanopticDataset
from .panoptic_checks import load_panoptic_json


@DATASETS.register_module()
class CityscapesPanopticDataset(CocoPanopticDataset):
    """Cityscapes panoptic segmentation (19 classes: 11 stuff, 8 things).

    Loading is :class:`CocoPanopticDataset`'s with the fixed metadata of
    ``cityscapes_meta.py`` (the JSON's ``categories`` are not read) and
    Cityscapes' image paths: ``img_path/<city>/<image_id><img_suffix>``.
    Images on disk without a JSON entry are left out; their number is
    logged. Every data info holds ``img_path``, ``pan_map_path`` (the
    COCO-panoptic RGB PNG) and ``segments_info`` (``id``, ``category_id``
    as a Cityscapes label id, ``iscrowd``, ``area``), decoded by
    ``LoadPanopticAnnotations``.

    Args:
        ann_file (str): The panoptic JSON, e.g.
            ``gtFine/cityscapes_panoptic_val.json``; ``''`` lists the images
            only (test split without annotations).
        data_prefix (dict): ``img_path`` (e.g. ``leftImg8bit/val``) and
            ``seg_map_path`` (e.g. ``gtFine/cityscapes_panoptic_val``).
        img_suffix (str): Image file suffix.
        **kwargs: ``data_root``, ``pipeline``, ``test_mode`` ... of
            mmseg's ``BaseSegDataset``.
    """

    METAINFO = CITYSCAPES_META
    IMAGES_NEED_ANNOTATIONS = False

    def __init__(self,
                 ann_file: str = '',
                 data_prefix: dict = dict(img_path='', seg_map_path=''),
                 img_suffix: str = '_leftImg8bit.png',
                 **kwargs) -> None:
        self._check_classes(kwargs.get('metainfo'))
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            **kwargs)

    @staticmethod
    def _check_classes(metainfo) -> None:
        """Refuse a ``metainfo`` that changes the 19 classes: the label-id
        to train-id mapping and the thing list are Cityscapes' own, so a
        subset would be silently ignored (a ``palette`` may be changed)."""
        classes = (metainfo or {}).get('classes')
        if classes is not None and tuple(classes) != tuple(
                CITYSCAPES_META['classes']):
            raise ValueError(
                'CityscapesPanopticDataset has the 19 Cityscapes classes, '
                f'got metainfo classes={tuple(classes)}. Leave `classes` '
                'out of metainfo (a `palette` may be changed); for another '
                'label set see "Your own data" in docs/dataset_prepare.md.')

    @classmethod
    def _check_root(cls, root: Optional[str]) -> None:
        if root and not osp.isdir(root):
            raise FileNotFoundError(
                f'data_root {root!r} does not exist. For Cityscapes see '
                'docs/dataset_prepare.md; for the built-in dataset run '
                f'`python tools/dataset_converters/synthetic_cityscapes.py '
                f'{root}`.')

    @classmethod
    def _read_ann_file(cls, path: str, root: Optional[str]) -> dict:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'panoptic annotation file {path!r} not found. Make '
                'it with `python tools/dataset_converters/cityscapes.py '
                f'{root or "<cityscapes root>"}` (runs '
                'cityscapesscripts\' createPanopticImgs).')
        return load_panoptic_json(path)

    def _image_path(self, img_dir: str, image: Optional[dict],
                    item: dict) -> str:
        """``img_dir/<city>/<image_id><img_suffix>`` (the city is the
        first part of the image id)."""
        image_id = item['image_id']
        city = image_id.split('_')[0]
        return osp.join(img_dir, city, image_id + self.img_suffix)

    def _listed_image_id(self, relative_stem: str) -> str:
        """``<city>_<seq>_<frame>``: Cityscapes' image id, the file name
        (the city folder is its first part)."""
        return osp.basename(relative_stem)

    def _check_listing(self, img_dir: str, data_list: List[dict]) -> None:
        """Log how many images on disk have no entry in the JSON."""
        listed = {osp.normpath(info['img_path']) for info in data_list}
        unlisted = [
            p for p in self._image_paths(img_dir)
            if osp.normpath(p) not in listed
        ]
        if unlisted:
            print_log(
                f'{len(unlisted)} of {len(unlisted) + len(listed)} images '
                f'under {img_dir!r} have no entry in {self.ann_file!r} and '
                f'are left out (first: {osp.basename(unlisted[0])})',
                logger='current',
                level=logging.WARNING)
