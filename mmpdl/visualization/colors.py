"""Colour maps for panoptic maps, center heatmaps and offset fields."""
import cv2
import numpy as np


def offset_to_rgb(offset: np.ndarray, max_norm: float = None) -> np.ndarray:
    """Colour-wheel picture of an offset field: hue = direction, value =
    length (normalised by ``max_norm``, default the largest length).

    Args:
        offset (np.ndarray): (2, H, W) float (dy, dx).
        max_norm (float, optional): Length drawn at full brightness.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    dy, dx = offset[0].astype(np.float32), offset[1].astype(np.float32)
    norm = np.sqrt(dx * dx + dy * dy)
    max_norm = max_norm or max(float(norm.max()), 1e-6)
    hue = (np.arctan2(dy, dx) + np.pi) / (2 * np.pi) * 179
    hsv = np.stack([
        hue.astype(np.uint8),
        np.full_like(hue, 255, dtype=np.uint8),
        np.clip(norm / max_norm * 255, 0, 255).astype(np.uint8)
    ], -1)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def heatmap_to_rgb(heatmap: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8 RGB (jet colour map)."""
    gray = np.clip(heatmap * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(
        cv2.applyColorMap(gray, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)


def instance_shade(colour, index: int) -> np.ndarray:
    """A distinct shade of ``colour`` for the ``index``-th instance."""
    factors = (1.0, 0.55, 1.35, 0.75, 1.2, 0.4, 0.9, 1.5)
    return np.clip(
        np.asarray(colour, np.float32) * factors[index % 8] +
        (index // 8) * 12, 0, 255)


def panoptic_to_rgb(panoptic: np.ndarray, palette, thing_ids,
                    label_divisor: int, num_classes: int) -> np.ndarray:
    """Stuff in its class colour, instances in shades of theirs, void black.

    Args:
        panoptic (np.ndarray): (H, W) int panoptic ids.
        palette (Sequence): RGB colour per class.
        thing_ids (Sequence[int]): Thing classes.
        label_divisor (int): Panoptic label divisor.
        num_classes (int): Valid class ids are below this.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    out = np.zeros(panoptic.shape + (3, ), np.uint8)
    ids, inverse = np.unique(panoptic, return_inverse=True)
    colours = np.zeros((len(ids), 3), np.float32)
    seen = {}
    for i, seg in enumerate(ids):
        cls, k = int(seg) // label_divisor, int(seg) % label_divisor
        if cls >= num_classes:
            continue
        if cls in thing_ids and k > 0:
            seen[cls] = seen.get(cls, -1) + 1
            colours[i] = instance_shade(palette[cls], seen[cls])
        else:
            colours[i] = palette[cls]
    out[:] = colours.astype(np.uint8)[inverse.reshape(panoptic.shape)]
    return out
