"""``CityscapesPanopticDataset``: the official panoptic ground truth made by
cityscapesscripts (``gtFine/cityscapes_panoptic_<split>.json`` + PNGs)."""
import glob
import logging
import os.path as osp
from typing import List

from mmengine.logging import print_log

from mmpdl.registry import DATASETS
from .base_panoptic import BasePanopticDataset
from .cityscapes_meta import CITYSCAPES_META
from .panoptic_checks import load_panoptic_json


@DATASETS.register_module()
class CityscapesPanopticDataset(BasePanopticDataset):
    """Cityscapes panoptic segmentation (19 classes: 11 stuff, 8 things).

    Every data info holds ``img_path``, ``pan_map_path`` (the COCO-panoptic
    RGB PNG) and ``segments_info`` (``id``, ``category_id`` as a Cityscapes
    label id, ``iscrowd``, ``area``), decoded by ``LoadPanopticAnnotations``.

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
            seg_map_suffix='_gtFine_panoptic.png',
            reduce_zero_label=False,
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

    def _check_root(self):
        root = self.data_root or ''
        if root and not osp.isdir(root):
            raise FileNotFoundError(
                f'data_root {root!r} does not exist. For Cityscapes see '
                'docs/dataset_prepare.md; for the built-in dataset run '
                f'`python tools/dataset_converters/synthetic_cityscapes.py '
                f'{root}`.')

    def load_data_list(self) -> List[dict]:
        """Read the panoptic JSON (or list the images without one).

        An empty, truncated or incomplete JSON raises a ``ValueError``
        naming the file and what is missing. Images on disk without a JSON
        entry are left out; their number is logged.
        """
        self._check_root()
        img_dir = self.data_prefix.get('img_path', '')
        if not self.ann_file or osp.isdir(self.ann_file):
            return self._list_images(img_dir)
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'panoptic annotation file {self.ann_file!r} not found. Make '
                'it with `python tools/dataset_converters/cityscapes.py '
                f'{self.data_root or "<cityscapes root>"}` (runs '
                'cityscapesscripts\' createPanopticImgs).')
        ann = load_panoptic_json(self.ann_file)
        pan_dir = self.data_prefix.get('seg_map_path', '')
        images = {img['id']: img for img in ann['images']}
        data_list = []
        for item in ann['annotations']:
            image_id = item['image_id']
            city = image_id.split('_')[0]
            img_path = osp.join(img_dir, city, image_id + self.img_suffix)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'image {img_path!r} is listed in {self.ann_file!r} '
                    'but missing on disk')
            self.check_categories(item['segments_info'],
                                  f'{self.ann_file!r}: image {image_id!r}')
            info = images.get(image_id, {})
            data_list.append(
                dict(
                    img_path=img_path,
                    pan_map_path=osp.join(pan_dir, item['file_name']),
                    segments_info=item['segments_info'],
                    image_id=image_id,
                    ann_height=info.get('height'),
                    ann_width=info.get('width'),
                    label_map=None,
                    reduce_zero_label=False,
                    seg_fields=[]))
        self._log_unlisted_images(img_dir, data_list)
        return sorted(data_list, key=lambda x: x['img_path'])

    def _image_paths(self, img_dir: str) -> List[str]:
        return sorted(
            glob.glob(
                osp.join(img_dir, '**', '*' + self.img_suffix),
                recursive=True))

    def _log_unlisted_images(self, img_dir: str, data_list: list) -> None:
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

    def _list_images(self, img_dir: str) -> List[dict]:
        paths = self._image_paths(img_dir)
        if not paths:
            raise FileNotFoundError(
                f'no *{self.img_suffix} images found under {img_dir!r}')
        return [
            dict(
                img_path=p,
                image_id=osp.basename(p)[:-len(self.img_suffix)],
                label_map=None,
                reduce_zero_label=False,
                seg_fields=[]) for p in paths
        ]
