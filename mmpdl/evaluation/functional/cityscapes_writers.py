"""Writers of the official Cityscapes submission formats.

Layout under ``outfile_prefix`` (each folder is what the matching official
evaluator searches with ``<city>_<seq>_<frame>*``):

- ``panoptic.json`` + ``panoptic/<image_id>_panoptic.png``: COCO panoptic
  results (RGB id ``R + 256 G + 256^2 B``, 0 = void, ``category_id`` a
  Cityscapes label id), for ``evalPanopticSemanticLabeling``;
- ``semantic/<image_id>_pred_labelIds.png``: uint8 label ids, for
  ``evalPixelLevelSemanticLabeling``;
- ``instance_<score>/<image_id>_pred.txt`` with lines
  ``masks/<image_id>_<k>.png <label id> <score>`` and the binary mask PNGs,
  one folder per score type, for ``evalInstanceLevelSemanticLabeling``.
"""
import json
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from mmengine.utils import mkdir_or_exist
from PIL import Image

from mmpdl.structures.panoptic_ids import id_to_rgb


def cityscapes_image_id(img_path: str) -> str:
    """``<city>_<seq>_<frame>`` from an image path.

    Args:
        img_path (str): e.g. ``.../frankfurt_000000_000294_leftImg8bit.png``.

    Returns:
        str: e.g. ``frankfurt_000000_000294``.
    """
    name = osp.splitext(osp.basename(img_path))[0]
    parts = name.split('_')
    if len(parts) < 3:
        raise ValueError(f'Cannot read a Cityscapes image id from {img_path}; '
                         'expected <city>_<seq>_<frame>_*.png.')
    return '_'.join(parts[:3])


def write_panoptic_png(pred_panoptic: np.ndarray, image_id: str, out_dir: str,
                       label_ids: Sequence[int], label_divisor: int,
                       ignore_index: int) -> Dict:
    """Write one panoptic prediction as a COCO panoptic PNG.

    Segment ids become ``label_id * label_divisor + k`` (k >= 1) or
    ``label_id`` (k = 0); void becomes 0.

    Args:
        pred_panoptic (np.ndarray): (H, W) int64 in the train-id encoding.
        image_id (str): Cityscapes image id.
        out_dir (str): The ``panoptic`` folder.
        label_ids (Sequence[int]): Cityscapes label id per train id.
        label_divisor (int): Divisor of the encoding.
        ignore_index (int): Void category.

    Returns:
        dict: The COCO ``annotations`` entry (``image_id``, ``file_name``,
        ``segments_info`` with ``id``, ``category_id``, ``area``,
        ``iscrowd``).
    """
    ids, inverse, areas = np.unique(
        pred_panoptic, return_inverse=True, return_counts=True)
    cats, inst = ids // label_divisor, ids % label_divisor
    lut = np.asarray(label_ids, dtype=np.int64)
    void = cats == ignore_index
    out_ids = np.where(void, 0,
                       lut[np.where(void, 0, cats)] * label_divisor + inst)
    out_ids = np.where(~void & (inst == 0), out_ids // label_divisor, out_ids)
    id_map = out_ids[inverse.reshape(pred_panoptic.shape)]
    rgb = id_to_rgb(id_map)
    file_name = f'{image_id}_panoptic.png'
    mkdir_or_exist(out_dir)
    Image.fromarray(rgb).save(osp.join(out_dir, file_name))
    segments = [
        dict(
            id=int(seg_id),
            category_id=int(seg_id // label_divisor if seg_id >=
                            label_divisor else seg_id),
            area=int(area),
            iscrowd=0) for seg_id, area, v in zip(out_ids, areas, void)
        if not v
    ]
    return dict(image_id=image_id, file_name=file_name, segments_info=segments)


def write_panoptic_json(annotations: List[Dict], json_path: str,
                        classes: Sequence[str], label_ids: Sequence[int],
                        thing_ids: Sequence[int]) -> None:
    """Write the COCO panoptic results JSON.

    Args:
        annotations (list[dict]): Outputs of :func:`write_panoptic_png`.
        json_path (str): e.g. ``<prefix>/panoptic.json``.
        classes (Sequence[str]): Class names per train id.
        label_ids (Sequence[int]): Cityscapes label id per train id.
        thing_ids (Sequence[int]): Thing train ids.
    """
    categories = [
        dict(id=int(lid), name=name, isthing=int(i in thing_ids))
        for i, (name, lid) in enumerate(zip(classes, label_ids))
    ]
    mkdir_or_exist(osp.dirname(osp.abspath(json_path)))
    with open(json_path, 'w') as f:
        json.dump(dict(annotations=annotations, categories=categories), f)


def write_semantic_png(pred_sem: np.ndarray, image_id: str, out_dir: str,
                       label_ids: Sequence[int]) -> None:
    """Write a semantic prediction as Cityscapes label ids (uint8 PNG).

    Args:
        pred_sem (np.ndarray): (H, W) int train ids in ``[0, C)``.
        image_id (str): Cityscapes image id.
        out_dir (str): The ``semantic`` folder.
        label_ids (Sequence[int]): Cityscapes label id per train id.
    """
    lut = np.zeros(256, dtype=np.uint8)
    lut[:len(label_ids)] = label_ids
    mkdir_or_exist(out_dir)
    Image.fromarray(lut[pred_sem.astype(np.int64)]).save(
        osp.join(out_dir, f'{image_id}_pred_labelIds.png'))


def write_instance_txt(masks: np.ndarray, labels: np.ndarray,
                       scores: np.ndarray, image_id: str, out_dir: str,
                       label_ids: Sequence[int]) -> None:
    """Write instance predictions: one txt and one mask PNG per instance.

    Args:
        masks (np.ndarray): (K, H, W) bool.
        labels (np.ndarray): (K,) int train ids.
        scores (np.ndarray): (K,) float confidences (written exactly).
        image_id (str): Cityscapes image id.
        out_dir (str): The ``instance_<score>`` folder.
        label_ids (Sequence[int]): Cityscapes label id per train id.
    """
    mkdir_or_exist(osp.join(out_dir, 'masks'))
    lines = []
    for k, (mask, label, score) in enumerate(zip(masks, labels, scores)):
        rel = f'masks/{image_id}_{k}.png'
        Image.fromarray(mask.astype(np.uint8) * 255).save(
            osp.join(out_dir, rel))
        lines.append(f'{rel} {label_ids[int(label)]} {float(score)!r}\n')
    with open(osp.join(out_dir, f'{image_id}_pred.txt'), 'w') as f:
        f.writelines(lines)
