"""MobileNetV2 backbone built on torchvision's implementation."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torchvision

from mmpdl.registry import MODELS
from .backbone_utils import (FreezableBackbone, check_out_indices,
                             check_output_stride, dilate_blocks,
                             freeze_modules, norm_layer_factory)

# torchvision's 1280-channel last 1x1 conv (``features.18``) is not used by
# Panoptic-DeepLab, which stops at the 320-channel ``features.17``.
NUM_FEATURE_BLOCKS = 18


@MODELS.register_module()
class TorchvisionMobileNetV2(FreezableBackbone):
    """torchvision's MobileNetV2 feature blocks 0..17 (no last 1x1 conv).

    Module names are torchvision's (``features.{i}...``), so torchvision
    ImageNet checkpoints load as they are (the unused ``features.18`` and
    ``classifier`` entries are skipped).

    Args:
        widen_factor (float): Width multiplier. Defaults to 1.0.
        output_stride (int): 32, 16 or 8 (dilation replaces later strides).
        out_indices (Sequence[int]): Indices into ``features`` whose outputs
            are returned. Defaults to (3, 6, 13, 17): 24, 32, 96 and 320
            channels at strides 4, 8, 16, 32 (the original's ``layer_4``,
            ``layer_7``, ``layer_14``, ``layer_18``).
        frozen_stages (int): -1 freezes nothing; i freezes ``features[0..i]``.
        norm_cfg (dict): mmcv norm config of every norm layer.
        norm_eval (bool): Keep norm layers in eval mode while training.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', ...)``.

    Inputs: (N, 3, H, W) float. Outputs: tuple of (N, C_i, H_i, W_i) float.
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 output_stride: int = 32,
                 out_indices: Sequence[int] = (3, 6, 13, 17),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_output_stride(output_stride, 'TorchvisionMobileNetV2')
        net = torchvision.models.mobilenetv2.MobileNetV2(
            width_mult=widen_factor, norm_layer=norm_layer_factory(norm_cfg))
        self.features = nn.Sequential(*net.features[:NUM_FEATURE_BLOCKS])
        dilate_blocks(self.features, output_stride)
        self.output_stride = output_stride
        self.out_indices = check_out_indices(out_indices, NUM_FEATURE_BLOCKS,
                                             'TorchvisionMobileNetV2')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.out_channels = tuple(self.features[i].out_channels
                                  for i in self.out_indices)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        """Freeze ``features[0..frozen_stages]``."""
        freeze_modules(self.features[:self.frozen_stages + 1])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(N, 3, H, W) -> tuple of the selected block outputs."""
        outs = []
        for i, block in enumerate(self.features):
            x = block(x)
            if i in self.out_indices:
                outs.append(x)
            if i >= max(self.out_indices):
                break
        return tuple(outs)
