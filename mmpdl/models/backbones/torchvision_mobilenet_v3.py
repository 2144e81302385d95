"""MobileNetV3-Large/Small backbones built on torchvision's implementation."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torchvision
from torchvision.models.mobilenetv3 import InvertedResidual

from mmpdl.registry import MODELS
from .backbone_utils import (FreezableBackbone, check_out_indices,
                             check_output_stride, dilate_blocks,
                             freeze_modules, norm_layer_factory)

# arch -> torchvision builder name and the default ``out_indices``: the
# blocks of deeplab2's endpoints res2, res3, res4, res5 (strides 4, 8, 16,
# 32 at output stride 32).
ARCHS: Dict[str, Tuple[str, Tuple[int, ...]]] = dict(
    large=('mobilenet_v3_large', (3, 6, 12, 16)),
    small=('mobilenet_v3_small', (1, 3, 8, 12)),
)


def _depthwise_layer(block: InvertedResidual) -> nn.Module:
    """The depthwise conv + norm + activation layer of ``block``."""
    for layer in block.block:
        conv = layer[0] if isinstance(layer, nn.Sequential) else None
        if (isinstance(conv, nn.Conv2d) and conv.groups > 1
                and conv.groups == conv.in_channels):
            return layer
    raise ValueError(f'no depthwise layer in {block}')


@MODELS.register_module()
class TorchvisionMobileNetV3(FreezableBackbone):
    """torchvision's MobileNetV3-Large or -Small ``features`` (classifier and
    its pooling removed), as deeplab2's Panoptic-DeepLab uses them.

    Module names are torchvision's (``features.{i}...``), so torchvision
    ImageNet checkpoints load as they are (the unused ``classifier`` entries
    are skipped).

    An inverted-residual block named in ``out_indices`` returns, with
    ``depthwise_outputs=True`` (deeplab2's endpoints), the activation after
    its depthwise conv (its expanded channels) instead of its projected
    output; the last 1x1 conv block returns its output. Output stride 16 or 8
    trades the last strides for dilation the way deeplab2 does: the block
    whose stride is removed keeps the current dilation, the later ones double
    it (torchvision's ``dilated=True`` also dilates that first block).

    Default outputs (``out_indices``, ``depthwise_outputs=True``), strides
    4, 8, 16, 32 at output stride 32 (the last one stays at 16 with output
    stride 16):

    - ``arch='large'``: (3, 6, 12, 16) -> 72, 120, 672, 960 channels.
    - ``arch='small'``: (1, 3, 8, 12) -> 16, 88, 144, 576 channels.

    Args:
        arch (str): ``'large'`` or ``'small'``.
        widen_factor (float): Width multiplier. Defaults to 1.0.
        output_stride (int): 32, 16 or 8.
        out_indices (Sequence[int], optional): Indices into ``features``
            whose outputs are returned; None: the default of ``arch``.
        depthwise_outputs (bool): Inverted-residual blocks return their
            depthwise activation (True, deeplab2) or their output (False).
        frozen_stages (int): -1 freezes nothing; i freezes ``features[0..i]``.
        norm_cfg (dict): mmcv norm config of every norm layer.
        norm_eval (bool): Keep norm layers in eval mode while training.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', ...)``.

    Inputs: (N, 3, H, W) float. Outputs: tuple of (N, C_i, H_i, W_i) float.
    """

    def __init__(self,
                 arch: str = 'large',
                 widen_factor: float = 1.0,
                 output_stride: int = 32,
                 out_indices: Optional[Sequence[int]] = None,
                 depthwise_outputs: bool = True,
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(
                     type='BN', eps=0.001, momentum=0.01, requires_grad=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if arch not in ARCHS:
            raise ValueError(f'TorchvisionMobileNetV3: arch={arch!r} is not '
                             f'supported; use one of {sorted(ARCHS)}')
        check_output_stride(output_stride, 'TorchvisionMobileNetV3')
        builder, default_indices = ARCHS[arch]
        net = getattr(torchvision.models, builder)(
            width_mult=widen_factor, norm_layer=norm_layer_factory(norm_cfg))
        self.features = net.features
        dilate_blocks(self.features, output_stride)
        self.arch = arch
        self.output_stride = output_stride
        self.out_indices = check_out_indices(
            default_indices if out_indices is None else out_indices,
            len(self.features), 'TorchvisionMobileNetV3')
        self.depthwise_outputs = depthwise_outputs
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.out_channels = tuple(
            self._tap_channels(self.features[i]) for i in self.out_indices)
        self._freeze_stages()

    def _taps_depthwise(self, block: nn.Module) -> bool:
        """Whether ``block``'s depthwise activation is its output here."""
        return self.depthwise_outputs and isinstance(block, InvertedResidual)

    def _tap_channels(self, block: nn.Module) -> int:
        """Channels of what ``block`` contributes to the outputs."""
        if self._taps_depthwise(block):
            return _depthwise_layer(block)[0].out_channels
        return block.out_channels

    def _freeze_stages(self) -> None:
        """Freeze ``features[0..frozen_stages]``."""
        freeze_modules(self.features[:self.frozen_stages + 1])

    @staticmethod
    def _run_tapped(block: InvertedResidual,
                    x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``block(x)`` and the activation after its depthwise conv."""
        depthwise = _depthwise_layer(block)
        out, tap = x, None
        for layer in block.block:
            out = layer(out)
            if layer is depthwise:
                tap = out
        if block.use_res_connect:
            out = out + x
        return out, tap

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(N, 3, H, W) -> tuple of the selected outputs (see the class)."""
        outs = []
        for i, block in enumerate(self.features):
            if i in self.out_indices and self._taps_depthwise(block):
                x, tap = self._run_tapped(block, x)
                outs.append(tap)
            else:
                x = block(x)
                if i in self.out_indices:
                    outs.append(x)
            if i >= max(self.out_indices):
                break
        return tuple(outs)
