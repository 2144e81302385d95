"""``PanopticLocalVisualizer``: pictures of panoptic results."""
from typing import Optional

import cv2
import mmcv
import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from mmpdl.registry import VISUALIZERS
from mmpdl.structures import PanopticMetaInfo
from .colors import heatmap_to_rgb, offset_to_rgb, panoptic_to_rgb
from .target_panels import draw_target_panels


def _numpy(pixel_data):
    return pixel_data.data.detach().cpu().numpy()


def _put_label(drawn: np.ndarray, text: str, mask: np.ndarray,
               scale: float) -> None:
    """Write ``text`` in white at the top-left corner of ``mask``'s
    bounding box, inside the box (so it is not cut off at the image top).
    """
    ys, xs = np.nonzero(mask)
    (_, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    baseline_y = min(int(ys.min()) + height + 1, drawn.shape[0] - 1)
    cv2.putText(drawn, text, (int(xs.min()) + 1, baseline_y),
                cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                cv2.LINE_AA)


@VISUALIZERS.register_module()
class PanopticLocalVisualizer(Visualizer):
    """Draw an image with its panoptic ground truth and prediction.

    Panels, left to right: the image; the ground truth overlay (if present);
    the prediction overlay (stuff in the Cityscapes palette, each instance a
    distinct shade of its class colour, with a white contour and its class
    name); and, with ``with_center_offset``, the predicted center heatmap
    and offset field (colour wheel: hue = direction, brightness = length).

    Args:
        name (str): Instance name.
        alpha (float): Opacity of the panoptic colours over the image.
        with_center_offset (bool): Add the center and offset panels.
        **kwargs: mmengine ``Visualizer`` arguments (``vis_backends``,
            ``save_dir``).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 alpha: float = 0.6,
                 with_center_offset: bool = True,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.alpha = alpha
        self.with_center_offset = with_center_offset

    @property
    def panoptic_meta(self) -> PanopticMetaInfo:
        """The dataset's metadata of ``dataset_meta`` (the Runner and the
        inferencer set it to the dataset's or checkpoint's)."""
        return PanopticMetaInfo.of(self.dataset_meta or None,
                                   type(self).__name__)

    def draw_panoptic(self, image: np.ndarray,
                      panoptic: np.ndarray) -> np.ndarray:
        """Overlay of ``panoptic`` ((H, W) ids) on ``image`` ((H, W, 3)
        RGB uint8), with instance contours and class names."""
        meta = self.panoptic_meta
        classes, divisor = meta.classes, meta.label_divisor
        thing_ids = set(meta.thing_ids)
        colour = panoptic_to_rgb(panoptic, meta.palette, thing_ids, divisor,
                                 len(classes))
        drawn = (image * (1 - self.alpha) + colour * self.alpha).astype(
            np.uint8)
        void = panoptic // divisor >= len(classes)
        drawn[void] = image[void]
        font = max(0.3, min(image.shape[:2]) / 900)
        for seg in np.unique(panoptic):
            cls, k = int(seg) // divisor, int(seg) % divisor
            if cls not in thing_ids or k == 0:
                continue
            mask = (panoptic == seg).astype(np.uint8)
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(drawn, contours, -1, (255, 255, 255), 1)
            _put_label(drawn, classes[cls], mask, font)
        return drawn

    def draw_targets(self,
                     image: np.ndarray,
                     data_sample,
                     max_sem_weight: float = 3.0) -> np.ndarray:
        """The training targets of a sample as titled panels.

        Args:
            image (np.ndarray): (H, W, 3) uint8 RGB pipeline output.
            data_sample (PanopticDataSample): Its ``gt_*`` fields, each
                (C, H, W); panels of missing fields are left out.
            max_sem_weight (float): Semantic loss weight drawn red (the
                ``small_instance_weight`` of ``GeneratePanopticTargets``).

        Returns:
            np.ndarray: (H + title strip, K * W, 3) uint8 RGB: image,
            ground truth, center heatmap, offsets (hue: direction),
            semantic weights; grey where a loss weight is 0.
        """
        return draw_target_panels(self, image, data_sample, max_sem_weight)

    def _panels(self, image, data_sample, draw_gt, draw_pred,
                with_center_offset):
        panels = [image]
        if draw_gt and 'gt_panoptic_seg' in data_sample:
            panels.append(
                self.draw_panoptic(image,
                                   _numpy(data_sample.gt_panoptic_seg)[0]))
        if draw_pred and 'pred_panoptic_seg' in data_sample:
            panels.append(
                self.draw_panoptic(image,
                                   _numpy(data_sample.pred_panoptic_seg)[0]))
        if draw_pred and with_center_offset:
            if 'pred_center' in data_sample:
                panels.append(
                    heatmap_to_rgb(_numpy(data_sample.pred_center)[0]))
            if 'pred_offset' in data_sample:
                panels.append(offset_to_rgb(_numpy(data_sample.pred_offset)))
        height = image.shape[0]
        return [
            p if p.shape[0] == height else mmcv.imresize(
                p, (int(p.shape[1] * height / p.shape[0]), height))
            for p in panels
        ]

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       with_center_offset: Optional[bool] = None,
                       **kwargs) -> np.ndarray:
        """Draw panels of ``data_sample`` side by side and show / store it.

        Args:
            name (str): Picture name (backends store it under this name).
            image (np.ndarray): (H, W, 3) RGB uint8 original image.
            data_sample (PanopticDataSample, optional): GT and predictions
                at the image's size.
            draw_gt (bool): Draw the ground truth panel.
            draw_pred (bool): Draw the prediction panels.
            show (bool): Show in a window.
            wait_time (float): Seconds to show.
            out_file (str, optional): Also write the picture there.
            step (int): Global step for the backends.
            with_center_offset (bool, optional): Add the center and offset
                panels; None: the visualizer's ``with_center_offset``.

        Returns:
            np.ndarray: The (H, W', 3) RGB picture.
        """
        if with_center_offset is None:
            with_center_offset = self.with_center_offset
        panels = [image] if data_sample is None else self._panels(
            image, data_sample, draw_gt, draw_pred, with_center_offset)
        drawn = np.concatenate(panels, axis=1)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn
