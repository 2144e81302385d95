"""Panels of the training targets of a sample, side by side under titles:
image | panoptic ground truth | center heatmap | offsets | semantic weights
(drawn by ``PanopticLocalVisualizer.draw_targets``)."""
import cv2
import numpy as np

from .colors import heatmap_to_rgb, offset_to_rgb

#: colour of the pixels whose weight in a loss is 0
IGNORED_GREY = (128, 128, 128)


def _numpy(sample, field):
    return sample.get(field).data.detach().cpu().numpy()


def thing_contours(panoptic: np.ndarray, thing_ids, divisor: int) -> list:
    """Outer contours of the thing instances of ``panoptic`` ((H, W) int)."""
    contours = []
    for seg in np.unique(panoptic):
        if int(seg) // divisor in thing_ids and int(seg) % divisor:
            found, _ = cv2.findContours((panoptic == seg).astype(np.uint8),
                                        cv2.RETR_EXTERNAL,
                                        cv2.CHAIN_APPROX_SIMPLE)
            contours.extend(found)
    return contours


def add_direction_wheel(panel: np.ndarray) -> None:
    """Draw the colour wheel of ``offset_to_rgb`` in the top-right corner
    of ``panel`` ((H, W, 3) uint8, in place): the colour at a point of the
    wheel is that of an offset pointing from its center to that point."""
    radius = max(8, min(panel.shape[:2]) // 12)
    if 2 * radius + 4 > min(panel.shape[:2]):
        return
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1].astype(float)
    wheel = offset_to_rgb(np.stack([dy, dx]), max_norm=radius)
    inside = dy**2 + dx**2 <= (radius - 0.5)**2
    x0 = panel.shape[1] - 2 * radius - 3
    window = panel[2:2 + 2 * radius + 1, x0:x0 + 2 * radius + 1]
    window[inside] = wheel[inside]


def offset_per_instance_to_rgb(offset: np.ndarray,
                               panoptic: np.ndarray) -> np.ndarray:
    """``offset_to_rgb`` with the length scaled per segment of
    ``panoptic``, so that the directions of small instances show as well
    as those of large ones.

    Args:
        offset (np.ndarray): (2, H, W) float (dy, dx).
        panoptic (np.ndarray): (H, W) int panoptic ids.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    norm = np.hypot(offset[0], offset[1]).ravel()
    _, inverse = np.unique(panoptic, return_inverse=True)
    inverse = inverse.ravel()
    longest = np.zeros(inverse.max() + 1)
    np.maximum.at(longest, inverse, norm)
    scale = np.maximum(longest[inverse], 1e-6).reshape(panoptic.shape)
    return offset_to_rgb(offset / scale, max_norm=1.0)


def _target_panel(colour, weights, contours=()):
    """Grey where ``weights`` is 0, white contours on top."""
    if weights is not None:
        colour[weights == 0] = IGNORED_GREY
    cv2.drawContours(colour, list(contours), -1, (255, 255, 255), 1)
    return colour


def with_titles(panels) -> np.ndarray:
    """Panels side by side under a black strip with their titles.

    Args:
        panels (list[tuple[str, np.ndarray]]): (title, (H, W, 3) uint8).

    Returns:
        np.ndarray: (H + strip, sum of W, 3) uint8.
    """
    font = cv2.FONT_HERSHEY_SIMPLEX
    height = panels[0][1].shape[0]
    # one font size for all: about 1/50 of the height, shrunk to fit
    scale = max(0.35, height / 700)
    for text, panel in panels:
        (width, _), _ = cv2.getTextSize(text, font, 1.0, 1)
        scale = min(scale, (panel.shape[1] - 4) / width)
    (_, text_h), base = cv2.getTextSize('Ag', font, scale, 1)
    strip = text_h + base + 6
    out = []
    for text, panel in panels:
        header = np.zeros((strip, panel.shape[1], 3), np.uint8)
        cv2.putText(header, text, (2, text_h + 3), font, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
        out.append(np.concatenate([header, panel], axis=0))
    return np.concatenate(out, axis=1)


def draw_target_panels(visualizer, image: np.ndarray, sample,
                       max_sem_weight: float) -> np.ndarray:
    """One picture: image | GT | center | offset | semantic weights.

    Args:
        visualizer (PanopticLocalVisualizer): With ``dataset_meta`` set.
        image (np.ndarray): (H, W, 3) uint8 RGB pipeline output.
        sample (PanopticDataSample): Its ``gt_*`` fields, each (C, H, W);
            panels of missing fields are left out.
        max_sem_weight (float): Semantic weight drawn red.

    Returns:
        np.ndarray: (H + title strip, K * W, 3) uint8 RGB, K the number
        of panels.
    """
    panels = [('image', image)]
    if 'gt_panoptic_seg' not in sample:
        return with_titles(panels)
    panoptic = _numpy(sample, 'gt_panoptic_seg')[0]
    if panoptic.shape != image.shape[:2]:
        # a test pipeline that resizes the image keeps the ground truth at
        # the original size: it is drawn at the image's size
        panoptic = cv2.resize(
            panoptic.astype(np.int32),
            image.shape[1::-1],
            interpolation=cv2.INTER_NEAREST).astype(np.int64)
    meta = visualizer.panoptic_meta
    panels.append(('ground truth', visualizer.draw_panoptic(image, panoptic)))
    contours = thing_contours(panoptic, set(meta.thing_ids),
                              meta.label_divisor)

    def weights(field):
        return _numpy(sample, field)[0] if field in sample else None

    if 'gt_center' in sample:
        panels.append(('center heatmap',
                       _target_panel(
                           heatmap_to_rgb(_numpy(sample, 'gt_center')[0]),
                           weights('gt_center_weights'), contours)))
    if 'gt_offset' in sample:
        offset = _target_panel(
            offset_per_instance_to_rgb(_numpy(sample, 'gt_offset'), panoptic),
            weights('gt_offset_weights'))
        add_direction_wheel(offset)
        panels.append(('offset (hue: direction)', offset))
    if 'gt_sem_weights' in sample:
        sem_w = heatmap_to_rgb(weights('gt_sem_weights') / max_sem_weight)
        labelled = None
        if 'gt_sem_seg' in sample:
            labelled = _numpy(sample, 'gt_sem_seg')[0] != meta.ignore_index
        title = f'semantic weight (cyan 1, red {max_sem_weight:g})'
        panels.append((title, _target_panel(sem_w, labelled)))
    return with_titles(panels)
