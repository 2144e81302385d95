"""COCO-panoptic result files of predictions, written by
:mod:`mmpdl.datasets.panoptic_export`.

A prediction in mmpdl's encoding (``train_id * label_divisor + k``, void
``ignore_index * label_divisor``) becomes a PNG of segment ids (0 = void)
whose ids are ``label_id * label_divisor + k`` for ``k >= 1`` and
``label_id`` for ``k = 0`` (stuff, or a thing predicted without instance
id), where ``label_id`` is the dataset's category id of the train id: the
format of the COCO panoptic test-dev submission and of cityscapesscripts'
panoptic evaluation.
"""
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np

from mmpdl.datasets.panoptic_export import write_id_png
from mmpdl.utils.safe_paths import join_inside


def panoptic_segment_ids(pred_panoptic: np.ndarray, label_ids: Sequence[int],
                         label_divisor: int,
                         ignore_index: int) -> Tuple[np.ndarray, List[Dict]]:
    """Map a prediction to COCO-panoptic segment ids and its segment list.

    Args:
        pred_panoptic (np.ndarray): (H, W) int64 in mmpdl's encoding.
        label_ids (Sequence[int]): Dataset category id of each train id
            (none may be 0, the void id of the PNG).
        label_divisor (int): Divisor of the encoding.
        ignore_index (int): Void category.

    Returns:
        tuple: ``id_map`` (H, W) int64 segment ids (0 = void) and
        ``segments_info``: one dict per non-void segment with ``id``,
        ``category_id``, ``area`` and ``iscrowd`` (0).
    """
    lut = np.asarray(label_ids, dtype=np.int64)
    if (lut <= 0).any():
        raise ValueError(
            f'label_ids {lut.tolist()} contain {lut[lut <= 0].tolist()}: in '
            'a COCO-panoptic PNG 0 means void, so every category id must be '
            '>= 1; renumber the categories of the dataset.')
    ids, inverse, areas = np.unique(
        pred_panoptic, return_inverse=True, return_counts=True)
    cats, inst = ids // label_divisor, ids % label_divisor
    void = cats == ignore_index
    category = lut[np.where(void, 0, cats)]
    out_ids = np.where(inst == 0, category, category * label_divisor + inst)
    out_ids = np.where(void, 0, out_ids)
    id_map = out_ids[inverse.reshape(pred_panoptic.shape)]
    segments = [
        dict(id=int(i), category_id=int(c), area=int(a), iscrowd=0)
        for i, c, a, v in zip(out_ids, category, areas, void) if not v
    ]
    return id_map, segments


def write_panoptic_png(pred_panoptic: np.ndarray, image_id: Union[int, str],
                       file_name: str, out_dir: str, label_ids: Sequence[int],
                       label_divisor: int, ignore_index: int) -> Dict:
    """Write one panoptic prediction as a COCO-panoptic PNG.

    Args:
        pred_panoptic (np.ndarray): (H, W) int64 in mmpdl's encoding.
        image_id (int | str): The image's id in the ground-truth JSON.
        file_name (str): PNG name inside ``out_dir``.
        out_dir (str): Folder of the PNGs.
        label_ids (Sequence[int]): Dataset category id per train id.
        label_divisor (int): Divisor of the encoding.
        ignore_index (int): Void category.

    Returns:
        dict: The JSON ``annotations`` entry (``image_id``, ``file_name``,
        ``segments_info``).
    """
    id_map, segments = panoptic_segment_ids(pred_panoptic, label_ids,
                                            label_divisor, ignore_index)
    write_id_png(
        id_map,
        join_inside(out_dir, file_name, f'image {image_id!r}', 'file_name'))
    return dict(image_id=image_id, file_name=file_name, segments_info=segments)


class OutputNames:
    """The PNG names and image ids written so far in one evaluation, so
    that a second image with the same name is an error, not an overwrite
    (e.g. ``cam1/0001.png`` and ``cam2/0001.png`` reduced to a base name,
    or two Cityscapes images with the same ``<city>_<seq>_<frame>``)."""

    def __init__(self):
        self._by_name: Dict[str, str] = {}
        self._by_id: Dict[str, str] = {}

    def claim(self, image_id: Union[int, str], file_name: str, sample) -> None:
        """Record one sample's outputs; raise if taken by another one.

        Args:
            image_id (int | str): Its id in the results JSON.
            file_name (str): Its PNG name.
            sample (dict | PanopticDataSample): Named (``img_path``) in the
                error.
        """
        path = _img_path(sample)
        for table, key, what in ((self._by_name, file_name, 'PNG name'),
                                 (self._by_id, str(image_id), 'image id')):
            if key in table and table[key] != path:
                raise ValueError(
                    f'{table[key]!r} and {path!r} have the same {what} '
                    f'{key!r} in the results: one would overwrite the '
                    'other. Give the images unique names (or unique '
                    '"file_name"/"image_id" in the annotation JSON).')
            table[key] = path


def _img_path(sample) -> str:
    if isinstance(sample, dict):
        return str(sample.get('img_path'))
    return str(getattr(sample, 'img_path', None))


def check_unique_outputs(annotations: List[Dict], json_path: str) -> None:
    """Raise if two gathered annotations share a PNG name or an image id
    (samples of different processes, which :class:`OutputNames` of each
    process cannot see), before the results JSON is written.

    Args:
        annotations (list[dict]): Outputs of :func:`write_panoptic_png`.
        json_path (str): The JSON about to be written, named in the error.
    """
    for key in ('file_name', 'image_id'):
        values = [str(a[key]) for a in annotations]
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(
                f'{json_path}: several images have the same {key} '
                f'{repeated[:5]}, so their PNGs overwrote each other; give '
                'the images unique names and run again.')


def panoptic_categories(classes: Sequence[str], label_ids: Sequence[int],
                        thing_ids: Sequence[int]) -> List[Dict]:
    """COCO ``categories``: ``id`` (dataset category id), ``name``,
    ``isthing`` of each train id."""
    things = set(thing_ids)
    return [
        dict(id=int(lid), name=name, isthing=int(i in things))
        for i, (name, lid) in enumerate(zip(classes, label_ids))
    ]
