"""Xception-65 backbone (DeepLab's aligned Xception)."""
from collections import OrderedDict
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmpdl.registry import MODELS
from .backbone_utils import (FreezableBackbone, check_out_indices,
                             check_output_stride, freeze_modules,
                             norm_layer_factory)

# output stride -> (entry block3 stride, middle dilation,
#                   exit dilations, exit block stride)
XCEPTION_STRIDES = {
    32: (2, 1, (1, 1), 2),
    16: (2, 1, (1, 2), 1),
    8: (1, 2, (2, 4), 1),
}
NUM_MIDDLE_BLOCKS = 16


class SeparableConv2d(nn.Module):
    """3x3 depthwise conv + BN, then 1x1 pointwise conv + BN.

    With ``relu_first`` a ReLU comes before the depthwise conv (entry and
    middle flow); otherwise ReLUs follow each BN (last exit-flow block).
    Sub-modules: ``block.depthwise``, ``block.bn_depth``,
    ``block.pointwise``, ``block.bn_point``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Depthwise conv stride.
        dilation (int): Depthwise conv dilation (padding = dilation).
        relu_first (bool): ReLU placement, see above.
        norm_layer (Callable[[int], nn.Module]): Builds a norm layer.

    Input (N, in_channels, H, W) -> output (N, out_channels, H', W').
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 dilation: int, relu_first: bool,
                 norm_layer: Callable[[int], nn.Module]):
        super().__init__()
        layers = OrderedDict()
        if relu_first:
            layers['relu'] = nn.ReLU()
        layers['depthwise'] = nn.Conv2d(
            in_channels,
            in_channels,
            3,
            stride=stride,
            padding=dilation,
            dilation=dilation,
            groups=in_channels,
            bias=False)
        layers['bn_depth'] = norm_layer(in_channels)
        if not relu_first:
            layers['relu1'] = nn.ReLU(inplace=True)
        layers['pointwise'] = nn.Conv2d(
            in_channels, out_channels, 1, bias=False)
        layers['bn_point'] = norm_layer(out_channels)
        if not relu_first:
            layers['relu2'] = nn.ReLU(inplace=True)
        self.block = nn.Sequential(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the separable conv."""
        return self.block(x)


class XceptionBlock(nn.Module):
    """Three separable convs with a conv, identity or no shortcut.

    Args:
        channels (Sequence[int]): 4 widths: input, after sep_conv1, 2, 3.
        stride (int): Stride of the last separable conv (and shortcut).
        dilation (int): Dilation of the three separable convs.
        shortcut (str): ``'conv'`` (1x1 conv + BN: ``conv``, ``bn``),
            ``'sum'`` (identity) or ``'none'``.
        relu_first (bool): See :class:`SeparableConv2d`.
        norm_layer (Callable[[int], nn.Module]): Builds a norm layer.

    ``forward`` returns ``(output, sep_conv2 output)``; the second is the
    low-level feature the decoder may use.
    """

    def __init__(self,
                 channels: Sequence[int],
                 stride: int = 1,
                 dilation: int = 1,
                 shortcut: str = 'conv',
                 relu_first: bool = True,
                 norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d):
        super().__init__()
        if len(channels) != 4:
            raise ValueError(f'XceptionBlock: channels must have 4 entries, '
                             f'got {channels!r}')
        if shortcut not in ('conv', 'sum', 'none'):
            raise ValueError(f'XceptionBlock: unknown shortcut {shortcut!r}; '
                             "use 'conv', 'sum' or 'none'")
        self.shortcut = shortcut
        if shortcut == 'conv':
            self.conv = nn.Conv2d(
                channels[0], channels[3], 1, stride=stride, bias=False)
            self.bn = norm_layer(channels[3])
        strides = (1, 1, stride)
        for i in range(3):
            self.add_module(
                f'sep_conv{i + 1}',
                SeparableConv2d(channels[i], channels[i + 1], strides[i],
                                dilation, relu_first, norm_layer))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, C_in, H, W) -> (output, sep_conv2 output)."""
        low_level = self.sep_conv2(self.sep_conv1(x))
        out = self.sep_conv3(low_level)
        if self.shortcut == 'conv':
            out = out + self.bn(self.conv(x))
        elif self.shortcut == 'sum':
            out = out + x
        return out, low_level


@MODELS.register_module()
class Xception65(FreezableBackbone):
    """Xception-65 as used by DeepLab and Panoptic-DeepLab.

    Entry flow: two 3x3 convs (32, 64 channels, first with stride 2) and
    blocks 1-3 (128, 256, 728 channels, stride 2 each); middle flow: blocks
    4-19 (728 channels, identity shortcut); exit flow: block 20 (728, 728,
    1024; conv shortcut) and block 21 (1536, 1536, 2048; no shortcut, ReLU
    after each BN). Every separable conv has BN after its depthwise and its
    pointwise conv.

    Outputs, as the original's ``res2``..``res5``: block 2's sep_conv2
    output (256 ch, stride 4), block 3's sep_conv2 output (728 ch, stride
    8), block 19's output (728 ch, stride 16), block 21's output (2048 ch,
    stride 32).

    Args:
        output_stride (int): 32, 16 or 8.
        out_indices (Sequence[int]): Which of the 4 outputs to return.
        frozen_stages (int): -1 freezes nothing, 0 the two stem convs, i >= 1
            also ``block1`` .. ``block{i}``.
        norm_cfg (dict): mmcv norm config of every norm layer.
        norm_eval (bool): Keep norm layers in eval mode while training.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', ...)``.

    Input (N, 3, H, W) float -> tuple of (N, C_i, H_i, W_i) float.
    """

    def __init__(self,
                 output_stride: int = 32,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_output_stride(output_stride, 'Xception65')
        entry_stride, middle_dilation, exit_dilations, exit_stride = \
            XCEPTION_STRIDES[output_stride]
        norm = norm_layer_factory(norm_cfg)
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self.bn1 = norm(32)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, stride=1, padding=1, bias=False)
        self.bn2 = norm(64)
        self.block1 = XceptionBlock([64, 128, 128, 128], 2, norm_layer=norm)
        self.block2 = XceptionBlock([128, 256, 256, 256], 2, norm_layer=norm)
        self.block3 = XceptionBlock([256, 728, 728, 728],
                                    entry_stride,
                                    norm_layer=norm)
        for i in range(4, 4 + NUM_MIDDLE_BLOCKS):
            self.add_module(
                f'block{i}',
                XceptionBlock(
                    [728] * 4,
                    dilation=middle_dilation,
                    shortcut='sum',
                    norm_layer=norm))
        self.block20 = XceptionBlock([728, 728, 1024, 1024],
                                     exit_stride,
                                     dilation=exit_dilations[0],
                                     norm_layer=norm)
        self.block21 = XceptionBlock([1024, 1536, 1536, 2048],
                                     dilation=exit_dilations[1],
                                     shortcut='none',
                                     relu_first=False,
                                     norm_layer=norm)
        self.output_stride = output_stride
        self.out_indices = check_out_indices(out_indices, 4, 'Xception65')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.out_channels = tuple(
            (256, 728, 728, 2048)[i] for i in self.out_indices)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        """Freeze the stem and the first ``frozen_stages`` blocks."""
        if self.frozen_stages >= 0:
            freeze_modules([self.conv1, self.bn1, self.conv2, self.bn2])
        for i in range(1, self.frozen_stages + 1):
            freeze_modules([getattr(self, f'block{i}')])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(N, 3, H, W) -> tuple of the selected outputs."""
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x, _ = self.block1(x)
        x, res2 = self.block2(x)
        x, res3 = self.block3(x)
        for i in range(4, 4 + NUM_MIDDLE_BLOCKS):
            x, _ = getattr(self, f'block{i}')(x)
        res4 = x
        x, _ = self.block20(res4)
        res5, _ = self.block21(x)
        outs = (res2, res3, res4, res5)
        return tuple(outs[i] for i in self.out_indices)
