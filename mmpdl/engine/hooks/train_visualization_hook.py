"""A hook that pictures the model's progress during training.

Every ``interval`` iterations it predicts the first image of the current
training batch and hands ``input | ground truth | prediction`` to the
runner's visualizer, whose backends store it (``LocalVisBackend``:
``<work_dir>/<timestamp>/vis_data/vis_image/train_prediction_<iter>.png``;
``TensorboardVisBackend``: the ``train_prediction`` image tag).
"""
from typing import Optional

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpdl.registry import HOOKS
from mmpdl.structures import PanopticDataSample


def first_image_rgb(inputs) -> np.ndarray:
    """The first image of a training batch as an (H, W, 3) uint8 RGB array.

    Args:
        inputs (list[Tensor] | Tensor): (3, H, W) uint8 BGR images, as
            ``PackPanopticInputs`` packs them (before the data
            preprocessor).
    """
    image = inputs[0].detach().cpu()
    if image.dtype != torch.uint8:
        image = image.clamp(0, 255).to(torch.uint8)
    return np.ascontiguousarray(image.permute(1, 2, 0).numpy()[..., ::-1])


def predict_in_crop_frame(model, image: torch.Tensor,
                          sample: PanopticDataSample) -> PanopticDataSample:
    """Predict one training crop where its ground truth lives: no resize
    back to the original image, no un-flip; eval mode, no gradients.

    Args:
        model (BaseModel): The (unwrapped) segmentor.
        image (Tensor): (3, H, W) uint8 BGR crop.
        sample (PanopticDataSample): Its data sample (not modified).

    Returns:
        PanopticDataSample: A copy with the ``pred_*`` fields at (H, W).
    """
    sample = sample.clone()
    crop = tuple(image.shape[1:])
    sample.set_metainfo(
        dict(ori_shape=crop, img_shape=crop, flip=False, flip_direction=None))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model.test_step(
                dict(inputs=[image], data_samples=[sample]))[0]
    finally:
        model.train(was_training)


@HOOKS.register_module()
class PanopticTrainVisualizationHook(Hook):
    """Every ``interval`` training iterations, store a picture of the first
    image of the batch, its panoptic ground truth and the model's current
    panoptic prediction, side by side (see ``PanopticLocalVisualizer``).

    One extra forward pass of one crop per ``interval`` iterations, on the
    main process only; with ``interval=200`` that is well under 1% of the
    training time.

    The picture shows the crop exactly as the network sees it: where the
    training pipeline padded a down-scaled image up to the crop size, the
    padding is grey in the input, void in the ground truth, and the
    prediction shows what the network currently makes of it.

    Args:
        interval (int): Iterations between pictures. Defaults to 200.
        with_center_offset (bool): Also draw the predicted center heatmap
            and offset field. Defaults to False.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 200, with_center_offset: bool = False):
        if not isinstance(interval, int) or interval < 1:
            raise ValueError('PanopticTrainVisualizationHook: interval must '
                             f'be a positive int, got {interval!r}')
        self.interval = interval
        self.with_center_offset = with_center_offset

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: dict = None,
                         outputs: Optional[dict] = None) -> None:
        """Draw after iterations ``interval``, ``2 * interval``, ...

        Args:
            runner (Runner): Provides ``model``, ``iter``, ``visualizer``.
            batch_idx (int): Index of the batch in the epoch (unused).
            data_batch (dict): ``inputs`` (list of (3, H, W) uint8 BGR) and
                ``data_samples`` (with ``gt_panoptic_seg``).
            outputs (dict, optional): The losses (unused).
        """
        if data_batch is None or not is_main_process() or \
                not self.every_n_train_iters(runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        image = data_batch['inputs'][0]
        sample = predict_in_crop_frame(model, image,
                                       data_batch['data_samples'][0])
        runner.visualizer.add_datasample(
            'train_prediction',
            first_image_rgb(data_batch['inputs']),
            data_sample=sample,
            with_center_offset=self.with_center_offset,
            step=runner.iter + 1)
