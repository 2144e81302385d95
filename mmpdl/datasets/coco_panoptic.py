"""``CocoPanopticDataset``: any COCO-panoptic dataset (a JSON with
``images``, ``annotations[].segments_info`` and ``categories``, a folder of
RGB-id PNGs and a folder of images)."""
import glob
import os.path as osp
from typing import Dict, List, Optional

from mmpdl.registry import DATASETS
from mmpdl.utils.safe_paths import check_relative_name
from .base_panoptic import BasePanopticDataset
from .panoptic_categories import metainfo_from_categories, read_categories_file
from .panoptic_checks import load_panoptic_json

#: how a dataset's annotation files are made, named in errors
PREPARE_HINT = ('see docs/dataset_prepare.md (the built-in COCO-format data: '
                '`python tools/dataset_converters/synthetic_coco_panoptic.py '
                'DATA_ROOT`)')


def _under(root: Optional[str], path: str) -> str:
    """``path`` joined to ``root`` unless absolute or empty."""
    if path and root and not osp.isabs(path):
        return osp.join(root, path)
    return path


def _duplicates(values: list) -> list:
    seen, repeated = set(), []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


@DATASETS.register_module()
class CocoPanopticDataset(BasePanopticDataset):
    """A dataset in COCO-panoptic format, its classes from the JSON.

    The metainfo comes from the JSON's ``categories`` (see
    :func:`metainfo_from_categories`): class names, thing flags, the
    categories' ``color`` (else a fixed palette) and ``label_ids``, the
    category id of each train id in the order of ``categories`` (ids may
    have gaps); ``label_divisor`` 1000 and ``ignore_index`` 255. The keys of
    ``metainfo`` replace those read from the JSON. A subclass with a fixed
    ``METAINFO`` (Cityscapes) does not read ``categories``.

    Every data info holds ``img_path`` (``img_path/<images[].file_name>``),
    ``pan_map_path`` (``seg_map_path/<annotations[].file_name>``),
    ``segments_info`` (``id``, ``category_id``, ``iscrowd``, ...),
    ``image_id`` and the JSON's ``ann_height``/``ann_width`` of the image,
    decoded and checked by ``LoadPanopticAnnotations``.

    Args:
        ann_file (str): The panoptic JSON, e.g.
            ``annotations/panoptic_val2017.json``; ``''`` lists the images
            of ``data_prefix['img_path']`` only (a test split without
            annotations; ``metainfo`` must then give the classes).
        data_prefix (dict): ``img_path`` (the image folder) and
            ``seg_map_path`` (the PNG folder).
        metainfo (dict, optional): Replaces keys of the JSON's metainfo,
            e.g. ``palette``.
        img_suffix (str): Suffix of the images listed when ``ann_file`` is
            ``''``.
        categories_file (str, optional): With ``ann_file=''``: a JSON whose
            ``categories`` (or the whole file, a list) give the classes,
            e.g. the val split's panoptic JSON (relative to ``data_root``).
        **kwargs: ``data_root``, ``pipeline``, ``test_mode`` ... of
            mmseg's ``BaseSegDataset``.
    """

    METAINFO: dict = {}
    #: an ``images`` entry without annotation is an error (else left out)
    IMAGES_NEED_ANNOTATIONS = True

    def __init__(self,
                 ann_file: str = '',
                 data_prefix: dict = dict(img_path='', seg_map_path=''),
                 metainfo: Optional[dict] = None,
                 img_suffix: str = '.jpg',
                 categories_file: Optional[str] = None,
                 **kwargs) -> None:
        data_root = kwargs.get('data_root')
        self._check_root(data_root)
        path = _under(data_root, ann_file)
        self._ann = None
        if ann_file and not osp.isdir(path):
            self._ann = self._read_ann_file(path, data_root)
        elif categories_file:
            self._ann = dict(
                categories=read_categories_file(
                    _under(data_root, categories_file)))
            path = _under(data_root, categories_file)
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=self._merge_metainfo(metainfo, path),
            img_suffix=img_suffix,
            seg_map_suffix='.png',
            reduce_zero_label=False,
            **kwargs)

    def _merge_metainfo(self, metainfo: Optional[dict], path: str) -> dict:
        """The JSON's categories as metainfo, updated by ``metainfo``."""
        metainfo = dict(metainfo or {})
        if self.METAINFO.get('classes') is not None:
            return metainfo
        if self._ann is None:
            if metainfo.get('classes') is None:
                raise ValueError(
                    f'{type(self).__name__} without an ann_file (images '
                    'only) takes its classes from the config: give '
                    'categories_file=<a JSON with the "categories", e.g. '
                    'the val panoptic JSON> or metainfo=dict(classes=..., '
                    'thing_ids=..., label_ids=...).')
            return metainfo
        return metainfo_from_categories(
            self._ann.get('categories'), path, metainfo)

    @classmethod
    def _check_root(cls, root: Optional[str]) -> None:
        """Raise if ``data_root`` is given but missing."""
        if root and not osp.isdir(root):
            raise FileNotFoundError(
                f'data_root {root!r} does not exist: {PREPARE_HINT}.')

    @classmethod
    def _read_ann_file(cls, path: str, root: Optional[str]) -> dict:
        """The parsed and checked panoptic JSON ``path`` of the dataset
        under ``root``."""
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'panoptic annotation file {path!r} not found: '
                f'{PREPARE_HINT}.')
        return load_panoptic_json(
            path, 'with the converter that wrote it: ' + PREPARE_HINT)

    def _pair_images(self, ann: dict) -> Dict:
        """``images`` entries by id, each with exactly one annotation.

        Raises:
            ValueError: An image entry without ``id``/``file_name``, a
                repeated id, an image without annotation or an annotation
                without image, naming the file, the ids and the fix.
        """
        where = f'panoptic annotation file {self.ann_file!r}'
        for index, image in enumerate(ann['images']):
            missing = [k for k in ('id', 'file_name') if k not in image]
            if missing:
                raise ValueError(f'{where}: images[{index}] has no {missing}'
                                 '; every image needs "id" and "file_name".')
        images = {image['id']: image for image in ann['images']}
        annotated = [item['image_id'] for item in ann['annotations']]
        problems = []
        for ids, what in ((_duplicates([i['id'] for i in ann['images']]),
                           'image ids listed more than once in "images"'),
                          (_duplicates(annotated),
                           'image ids with more than one annotation'),
                          ([i for i in annotated if i not in images],
                           'annotations whose image_id is not in "images"'),
                          (_duplicates([
                              item.get('file_name')
                              for item in ann['annotations']
                          ]), 'PNG file_names of more than one annotation')):
            if ids:
                problems.append(f'{what}: {ids[:10]}')
        if self.IMAGES_NEED_ANNOTATIONS:
            without = sorted(set(images) - set(annotated), key=str)
            if without:
                problems.append('images without an entry in "annotations" '
                                f'(image ids {without[:10]})')
        if problems:
            raise ValueError(
                f'{where}: {"; ".join(problems)}. Each image needs one '
                '"images" entry and one "annotations" entry with the same '
                'id: add the missing entry (an image without segments has '
                '"segments_info": []) or remove the extra one.')
        return images

    def _image_path(self, img_dir: str, image: Optional[dict],
                    item: dict) -> str:
        """Path of the image of annotation ``item``: the ``file_name`` of
        its ``images`` entry ``image`` under ``img_dir``."""
        return osp.join(img_dir, image['file_name'])

    def load_data_list(self) -> List[dict]:
        """Read the panoptic JSON (or list the images without one).

        Raises on bad input, naming the file and ids: see
        :meth:`_pair_images`, ``check_categories`` (a segment's unknown
        ``category_id``) and a listed image missing on disk.
        """
        img_dir = self.data_prefix.get('img_path', '')
        if not self.ann_file or osp.isdir(self.ann_file):
            self._ann = None
            return self._list_images(img_dir)
        ann = self._ann or self._read_ann_file(self.ann_file, self.data_root)
        self._ann = None  # the data list keeps what is needed
        images = self._pair_images(ann)
        pan_dir = self.data_prefix.get('seg_map_path', '')
        data_list = []
        for item in ann['annotations']:
            image_id = item['image_id']
            image = images.get(image_id)
            img_path = self._image_path(img_dir, image, item)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'image {img_path!r} is listed in {self.ann_file!r} '
                    'but missing on disk')
            self.check_categories(item['segments_info'],
                                  f'{self.ann_file!r}: image {image_id!r}')
            pan_file_name = check_relative_name(
                item['file_name'], repr(self.ann_file),
                f'annotations[image_id={image_id!r}].file_name')
            data_list.append(
                dict(
                    img_path=img_path,
                    pan_map_path=osp.join(pan_dir, pan_file_name),
                    pan_file_name=pan_file_name,
                    segments_info=item['segments_info'],
                    image_id=image_id,
                    ann_height=(image or {}).get('height'),
                    ann_width=(image or {}).get('width'),
                    label_map=None,
                    reduce_zero_label=False,
                    seg_fields=[]))
        self._check_listing(img_dir, data_list)
        return sorted(data_list, key=lambda x: x['img_path'])

    def _check_listing(self, img_dir: str, data_list: List[dict]) -> None:
        """Hook: a look at the listed images against those on disk."""

    def _image_paths(self, img_dir: str) -> List[str]:
        return sorted(
            glob.glob(
                osp.join(img_dir, '**', '*' + self.img_suffix),
                recursive=True))

    def _listed_image_id(self, relative_stem: str) -> str:
        """Image id of a listed image (no JSON): its path below the image
        folder without suffix (``cam1/0001``), unique in the folder."""
        return relative_stem

    def _list_images(self, img_dir: str) -> List[dict]:
        """Data infos of every ``*<img_suffix>`` under ``img_dir``; the
        prediction of each is named after its path below ``img_dir``
        (``pan_file_name``), so images of the same name in different
        sub-folders keep apart."""
        paths = self._image_paths(img_dir)
        if not paths:
            raise FileNotFoundError(
                f'no *{self.img_suffix} images found under {img_dir!r}')
        stems = [
            osp.relpath(p, img_dir)[:-len(self.img_suffix)] for p in paths
        ]
        return [
            dict(
                img_path=p,
                image_id=self._listed_image_id(stem),
                pan_file_name=stem + '.png',
                label_map=None,
                reduce_zero_label=False,
                seg_fields=[]) for p, stem in zip(paths, stems)
        ]
