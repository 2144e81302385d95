"""The whole Panoptic-DeepLab inference as one traceable module: raw image
-> normalisation -> ``k * 32 + 1`` padding -> network -> (optionally) the
fixed-shape post-processing."""
from typing import Dict, Tuple

import torch
import torch.nn as nn

from mmpdl.models.post_processing.fixed_shape import panoptic_fixed_shape
from mmpdl.models.utils.prediction_resize import upsample_predictions

#: Outputs of every export, in this order.
NETWORK_OUTPUTS = ('sem_logits', 'center', 'offset')
#: Outputs added by the post-processing, in this order.
PANOPTIC_OUTPUTS = ('panoptic', 'sem_seg', 'instance_ids', 'labels', 'scores',
                    'scores_sem_x_ctr')


class PanopticExportModule(nn.Module):
    """Raw BGR image in, network outputs (and the panoptic map) out.

    Does what the data preprocessor, ``PanopticDeepLab._forward`` and
    ``PanopticDeepLab.predict`` do for one image of the test pipeline
    (no resize, no flip), with the same arithmetic, so the results are
    equal: BGR->RGB if the preprocessor converts, ``(x - mean) / std``,
    zero padding at the bottom/right to ``k * size_divisor + 1`` (``k *
    size_divisor`` with ``align_corners=False``), the
    network, the original's bilinear upsampling, the crop back.

    Args:
        model (nn.Module): A built ``PanopticDeepLab`` (e.g. of
            ``mmpdl.apis.init_model``: eval mode, BN, ``cfg`` and
            ``dataset_meta`` set).
        with_postprocess (bool): Add :func:`panoptic_fixed_shape` with the
            settings of the model's post-processor and ``dataset_meta``.
    """

    def __init__(self, model: nn.Module, with_postprocess: bool = False):
        super().__init__()
        self.model = model
        self.with_postprocess = with_postprocess
        preprocessor = model.data_preprocessor
        self.bgr_to_rgb = bool(
            getattr(preprocessor, 'channel_conversion', False))
        if getattr(preprocessor, '_enable_normalize', False):
            mean, std = preprocessor.mean, preprocessor.std
        else:
            mean, std = torch.zeros(3, 1, 1), torch.ones(3, 1, 1)
        self.register_buffer('mean', mean.detach().clone(), False)
        self.register_buffer('std', std.detach().clone(), False)
        if with_postprocess:
            self.post_cfg = model.post_processor.function_kwargs(
                model.dataset_meta, model.num_classes)
            is_thing = torch.zeros(model.num_classes, dtype=torch.bool)
            is_thing[list(self.post_cfg.pop('thing_ids'))] = True
            self.register_buffer('is_thing', is_thing, False)

    @property
    def output_names(self) -> Tuple[str, ...]:
        """Names of the outputs of :meth:`forward`, in order."""
        if self.with_postprocess:
            return NETWORK_OUTPUTS + PANOPTIC_OUTPUTS
        return NETWORK_OUTPUTS

    def network(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Normalise, pad, run and upsample.

        Args:
            image (Tensor): (H, W, 3) uint8 BGR.

        Returns:
            dict[str, Tensor]: ``sem_logits`` (1, C, H, W), ``center``
            (1, 1, H, W), ``offset`` (1, 2, H, W), float32.
        """
        inputs = image.permute(2, 0, 1)
        if self.bgr_to_rgb:
            inputs = inputs[[2, 1, 0]]
        inputs = ((inputs.float() - self.mean) / self.std)[None]
        height, width = inputs.shape[2:]
        divisor = self.model.size_divisor
        # k * divisor + extra >= size (extra: 1 for align_corners=True, else
        # 0), in positive integer arithmetic only
        extra = 1 if self.model.align_corners else 0
        pad_h = (height + divisor - 1 - extra) // divisor * divisor + extra \
            - height
        pad_w = (width + divisor - 1 - extra) // divisor * divisor + extra \
            - width
        padded = nn.functional.pad(inputs, [0, pad_w, 0, pad_h])
        preds = self.model.decode_head(self.model.extract_feat(padded))
        preds = upsample_predictions(preds, padded.shape[2:],
                                     self.model.align_corners)
        return dict(
            sem_logits=preds['sem_seg'][:, :, :height, :width],
            center=preds['center'][:, :, :height, :width],
            offset=preds['offset'][:, :, :height, :width])

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Outputs named by :attr:`output_names`.

        Args:
            image (Tensor): (H, W, 3) uint8 BGR (as ``cv2.imread`` gives).

        Returns:
            tuple[Tensor]: The network outputs (see :meth:`network`), then
            with post-processing those of :func:`panoptic_fixed_shape`:
            ``panoptic`` and ``sem_seg`` (H, W) int64, ``instance_ids``,
            ``labels`` (top_k,) int64, ``scores``, ``scores_sem_x_ctr``
            (top_k,) float32.
        """
        outputs = self.network(image)
        if self.with_postprocess:
            outputs.update(
                panoptic_fixed_shape(outputs['sem_logits'][0],
                                     outputs['center'][0, 0],
                                     outputs['offset'][0], self.is_thing,
                                     **self.post_cfg))
        return tuple(outputs[name] for name in self.output_names)
