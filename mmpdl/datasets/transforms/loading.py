"""``LoadPanopticAnnotations``: decode the COCO-panoptic PNG of a sample."""
import io

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from PIL import Image

from mmpdl.registry import TRANSFORMS
from mmpdl.structures import SAMPLE_KEY, PanopticMetaInfo
from mmpdl.structures.panoptic_ids import MAX_TABLE_ID, rgb_to_id
from ..panoptic_checks import check_segment_ids


def read_rgb_png(path: str, backend_args=None) -> np.ndarray:
    """Read an RGB PNG fully (a truncated file raises, naming ``path``).

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return np.asarray(img.convert('RGB'))
    except FileNotFoundError:
        raise FileNotFoundError(f'panoptic PNG {path!r} does not exist')
    except (OSError, SyntaxError, ValueError) as err:
        raise OSError(f'cannot decode panoptic PNG {path!r} (truncated or '
                      f'not a PNG?): {err}') from err


def segment_table(segments_info, label_ids, thing_ids, label_divisor, path=''):
    """Per segment: its id, train id and mmpdl panoptic value.

    Non-crowd thing segments get instance numbers 1, 2, ... per class in
    the order of ``segments_info``; stuff and crowd get 0.

    Args:
        segments_info (list[dict]): ``id``, ``category_id``, ``iscrowd``.
        label_ids (Sequence[int]): Category id of each train id.
        thing_ids (Sequence[int]): Train ids of thing classes.
        label_divisor (int): Panoptic label divisor.
        path (str): Named in errors.

    Returns:
        tuple[np.ndarray]: ``ids`` (S,), ``train_ids`` (S,),
        ``panoptic`` (S,) all int64.
    """
    to_train_id = {int(cat): i for i, cat in enumerate(label_ids)}
    thing_ids = set(thing_ids)
    ids, train_ids, panoptic = [], [], []
    counters = {}
    for seg in segments_info:
        label = seg['category_id']
        if label not in to_train_id:
            raise ValueError(f'{path!r}: segment {seg["id"]} has unknown '
                             f'category_id {label}')
        train_id = to_train_id[label]
        k = 0
        if train_id in thing_ids and not seg.get('iscrowd', 0):
            k = counters.get(train_id, 0) + 1
            counters[train_id] = k
        ids.append(seg['id'])
        train_ids.append(train_id)
        panoptic.append(train_id * label_divisor + k)
    return (np.asarray(ids, np.int64), np.asarray(train_ids, np.int64),
            np.asarray(panoptic, np.int64))


@TRANSFORMS.register_module()
class LoadPanopticAnnotations(BaseTransform):
    """Decode ``pan_map_path`` + ``segments_info`` into label maps.

    Adds ``gt_seg_map`` ((H, W) train ids, ``ignore_index`` = void; uint8,
    or uint16 for an ``ignore_index`` above 255) and ``gt_panoptic_seg``
    ((H, W) int32, ``train_id * label_divisor + k``; k >= 1 thing instance,
    0 stuff/crowd; void ``ignore_index * label_divisor``) and lists both in
    ``seg_fields``. The class list is the dataset's
    :class:`PanopticMetaInfo`, ``results['panoptic_meta']``.

    Args:
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, backend_args=None) -> None:
        self.backend_args = backend_args
        # PNGs found to agree with their segments_info (checked once each)
        self._agreeing_pngs = set()

    @staticmethod
    def _label_maps(seg_map, ids, train_ids, panoptic, ignore_index,
                    label_divisor):
        """Train-id and mmpdl panoptic maps of a segment-id map; pixels of
        no listed segment are ignore / void.

        Args:
            seg_map (np.ndarray): (H, W) int64 segment ids.
            ids, train_ids, panoptic (np.ndarray): (S,) from
                :func:`segment_table`.
            ignore_index (int): Semantic ignore label.
            label_divisor (int): Panoptic label divisor.

        Returns:
            tuple[np.ndarray]: (H, W) uint8 (uint16 when ``ignore_index``
            exceeds 255) and (H, W) int32.
        """
        void = ignore_index * label_divisor
        sem_dtype = np.uint8 if ignore_index <= 255 else np.uint16
        top = max(int(seg_map.max()), int(ids.max()) if len(ids) else 0)
        if seg_map.min() >= 0 and top < MAX_TABLE_ID:
            # small ids (Cityscapes: label_id * 1000 + k): lookup tables
            sem_table = np.full(top + 1, ignore_index, sem_dtype)
            pan_table = np.full(top + 1, void, np.int32)
            sem_table[ids] = train_ids
            pan_table[ids] = panoptic
            return sem_table[seg_map], pan_table[seg_map]
        order = np.argsort(ids)
        ids, train_ids, panoptic = ids[order], train_ids[order], panoptic[
            order]
        pos = np.clip(np.searchsorted(ids, seg_map), 0, max(len(ids) - 1, 0))
        known = (ids[pos] == seg_map) if len(ids) else np.zeros_like(
            seg_map, bool)
        sem = np.full(seg_map.shape, ignore_index, sem_dtype)
        pan = np.full(seg_map.shape, void, np.int32)
        if len(ids):
            sem[known] = train_ids[pos[known]]
            pan[known] = panoptic[pos[known]]
        return sem, pan

    def decode(self,
               seg_map: np.ndarray,
               segments_info: list,
               meta: PanopticMetaInfo,
               path: str = ''):
        """Label maps of a segment-id map (the PNG's ids).

        A non-zero PNG id missing from ``segments_info``, or a listed
        segment without pixels, raises a ``ValueError`` naming ``path``
        (checked on the first decoding of each ``path``; always when
        ``path`` is empty).

        Args:
            seg_map (np.ndarray): (H, W) int64 ids (:func:`rgb_to_id`).
            segments_info (list[dict]): ``id``, ``category_id`` (a dataset
                category id) and ``iscrowd`` of each segment.
            meta (PanopticMetaInfo): The dataset's class metadata.
            path (str): Named in errors.

        Returns:
            tuple[np.ndarray]: ``gt_seg_map`` (H, W) train ids and
            ``gt_panoptic_seg`` (H, W) int32.
        """
        ids, train_ids, panoptic = segment_table(segments_info, meta.label_ids,
                                                 meta.thing_ids,
                                                 meta.label_divisor, path)
        if not path or path not in self._agreeing_pngs:
            check_segment_ids(seg_map, ids, path)
            if path:
                self._agreeing_pngs.add(path)
        return self._label_maps(seg_map, ids, train_ids, panoptic,
                                meta.ignore_index, meta.label_divisor)

    @staticmethod
    def _check_stated_size(results: dict, shape) -> None:
        """Raise if the PNG's ``shape`` (H, W) differs from the image size
        stated in the annotation file (``ann_height``/``ann_width`` of the
        data info, when given)."""
        stated = (results.get('ann_height'), results.get('ann_width'))
        if None in stated or tuple(stated) == tuple(shape):
            return
        raise ValueError(
            f'panoptic PNG {results["pan_map_path"]!r} of image '
            f'{results.get("img_path")!r} is {shape[0]}x{shape[1]} but the '
            f'"images" entry of image id {results.get("image_id")!r} in the '
            f'annotation file says {stated[0]}x{stated[1]} (height x '
            'width). Correct "height"/"width" of that entry, or the files.')

    def transform(self, results: dict) -> dict:
        """Decode the panoptic PNG of ``results``."""
        path = results['pan_map_path']
        seg_map = rgb_to_id(read_rgb_png(path, self.backend_args))
        # ori_shape: the image as loaded (TTA may have resized it since)
        shape = results.get('ori_shape', results.get('img_shape'))
        if shape is not None and tuple(shape[:2]) != seg_map.shape:
            raise ValueError(
                f'panoptic PNG {path!r} is {seg_map.shape[0]}x'
                f'{seg_map.shape[1]} but image {results.get("img_path")!r} '
                f'is {shape[0]}x{shape[1]}')
        self._check_stated_size(results, seg_map.shape)
        meta = PanopticMetaInfo.of(
            results.get(SAMPLE_KEY), f'{type(self).__name__} input')
        sem, pan = self.decode(seg_map, results['segments_info'], meta, path)
        results['gt_seg_map'] = sem
        results['gt_panoptic_seg'] = pan
        fields = results.setdefault('seg_fields', [])
        for key in ('gt_seg_map', 'gt_panoptic_seg'):
            if key not in fields:
                fields.append(key)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'
