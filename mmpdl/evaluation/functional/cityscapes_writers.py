"""Writers of the official Cityscapes submission formats.

Layout under ``outfile_prefix`` (each folder is what the matching official
evaluator searches with ``<city>_<seq>_<frame>*``):

- ``panoptic.json`` + ``panoptic/<image_id>_panoptic.png``: COCO panoptic
  results (RGB id ``R + 256 G + 256^2 B``, 0 = void, ``category_id`` a
  Cityscapes label id; written by :mod:`.panoptic_writers`), for
  ``evalPanopticSemanticLabeling``;
- ``semantic/<image_id>_pred_labelIds.png``: uint8 label ids, for
  ``evalPixelLevelSemanticLabeling``;
- ``instance_<score>/<image_id>_pred.txt`` with lines
  ``masks/<image_id>_<k>.png <label id> <score>`` and the binary mask PNGs,
  one folder per score type, for ``evalInstanceLevelSemanticLabeling``.
"""
import os.path as osp
from typing import Sequence

import numpy as np

from mmpdl.utils.atomic_io import atomic_write_bytes, save_png


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
    save_png(lut[pred_sem.astype(np.int64)],
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
    lines = []
    for k, (mask, label, score) in enumerate(zip(masks, labels, scores)):
        rel = f'masks/{image_id}_{k}.png'
        save_png(mask.astype(np.uint8) * 255, osp.join(out_dir, rel))
        lines.append(f'{rel} {label_ids[int(label)]} {float(score)!r}\n')
    atomic_write_bytes(''.join(lines).encode('utf-8'),
                       osp.join(out_dir, f'{image_id}_pred.txt'))
