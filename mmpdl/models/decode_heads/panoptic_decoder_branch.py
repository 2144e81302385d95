"""One decoder branch of Panoptic-DeepLab: ASPP + multi-level fusion."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule

from .panoptic_aspp import PanopticASPP


def check_same_length(owner: str, **sequences: Sequence) -> None:
    """Raise a ValueError naming the values if the lengths differ."""
    lengths = {name: len(seq) for name, seq in sequences.items()}
    if len(set(lengths.values())) > 1:
        listed = ', '.join(f'{name}={tuple(sequences[name])!r}'
                           for name in sequences)
        raise ValueError(f'{owner}: these lists must have the same length, '
                         f'got {listed}')


CONV_BLOCKS = ('dsconv5x5', 'conv3x3x2')


def conv_block(kind: str, in_channels: int, mid_channels: int,
               out_channels: int, norm_cfg: dict, act_cfg: dict,
               owner: str) -> nn.Module:
    """A fuse or head block of Panoptic-DeepLab.

    ``'dsconv5x5'``: one 5x5 depthwise-separable ConvModule (depthwise conv
    + norm + act, pointwise 1x1 conv + norm + act), ``in -> out``; the
    original's and detectron2's DSConv layout. ``'conv3x3x2'``: two 3x3
    ConvModules (conv + norm + act, no bias) ``in -> mid -> out``
    (``nn.Sequential``, keys ``0``, ``1``); detectron2's regular layout.
    ``mid_channels`` is unused by ``'dsconv5x5'``.

    Input (N, in_channels, H, W) -> output (N, out_channels, H, W).
    """
    if kind == 'dsconv5x5':
        return DepthwiseSeparableConvModule(
            in_channels,
            out_channels,
            5,
            padding=2,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
    if kind == 'conv3x3x2':
        return nn.Sequential(*[
            ConvModule(
                c_in, c_out, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for c_in, c_out in ((in_channels, mid_channels), (mid_channels,
                                                              out_channels))
        ])
    raise ValueError(f'{owner}: unknown conv block {kind!r}; use one of '
                     f'{CONV_BLOCKS}')


class PanopticDecoderBranch(nn.Module):
    """ASPP on the deepest feature, then top-down fusion of low-level ones.

    For each low-level feature ``i`` (from the coarsest, stride 16, to the
    finest, stride 4): project it with a 1x1 ConvModule
    (``project[i]``), upsample the running feature to its size (bilinear,
    ``align_corners``), concatenate ``[running, projected]`` (with
    ``low_level_first``: ``[projected, running]``, detectron2's order) and
    fuse (``fuse[i]``, see :func:`conv_block`: by default a 5x5
    depthwise-separable ConvModule, or two 3x3 ConvModules).

    Args:
        in_channels (int): Channels of the ASPP input feature.
        low_level_channels (Sequence[int]): Channels of the low-level inputs.
        low_level_projections (Sequence[int]): Channels after projection.
        aspp_channels (int): ASPP width.
        decoder_channels (int): Width of the fuse convs (output channels).
        atrous_rates (Sequence[int]): ASPP dilations.
        norm_cfg (dict): Norm config.
        act_cfg (dict): Activation config.
        align_corners (bool): Of the upsampling.
        dropout_ratio (float): ASPP dropout.
        conv_cfg (dict, optional): Conv config.
        fuse_conv (str): ``'dsconv5x5'`` (default) or ``'conv3x3x2'``.
        low_level_first (bool): Concatenation order of the fuse input.
            Defaults to False (running feature first, as the original).
        aspp_cfg (dict, optional): Further :class:`PanopticASPP` arguments
            (``depthwise_separable``, ``pool_kernel_size``,
            ``image_pool_bias``).

    Input: the ASPP feature (N, in_channels, h, w) and the low-level
    features; output (N, decoder_channels, H_last, W_last).
    """

    def __init__(self,
                 in_channels: int,
                 low_level_channels: Sequence[int],
                 low_level_projections: Sequence[int],
                 aspp_channels: int,
                 decoder_channels: int,
                 atrous_rates: Sequence[int],
                 norm_cfg: dict,
                 act_cfg: dict = dict(type='ReLU'),
                 align_corners: bool = True,
                 dropout_ratio: float = 0.5,
                 conv_cfg: Optional[dict] = None,
                 fuse_conv: str = 'dsconv5x5',
                 low_level_first: bool = False,
                 aspp_cfg: Optional[dict] = None):
        super().__init__()
        check_same_length(
            'PanopticDecoderBranch',
            low_level_channels=low_level_channels,
            low_level_projections=low_level_projections)
        self.align_corners = align_corners
        self.low_level_first = low_level_first
        self.aspp = PanopticASPP(
            in_channels,
            aspp_channels,
            atrous_rates,
            norm_cfg,
            act_cfg,
            dropout_ratio,
            conv_cfg,
            align_corners=align_corners,
            **(aspp_cfg or {}))
        self.project = nn.ModuleList()
        self.fuse = nn.ModuleList()
        running_channels = aspp_channels
        for low_in, low_out in zip(low_level_channels, low_level_projections):
            self.project.append(
                ConvModule(
                    low_in,
                    low_out,
                    1,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
            self.fuse.append(
                conv_block(fuse_conv, running_channels + low_out,
                           decoder_channels, decoder_channels, norm_cfg,
                           act_cfg, 'PanopticDecoderBranch.fuse_conv'))
            running_channels = decoder_channels

    def forward(self, x: torch.Tensor,
                low_level_feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Decode.

        Args:
            x (Tensor): (N, in_channels, h, w) deepest feature.
            low_level_feats (tuple[Tensor]): (N, low_level_channels[i], H_i,
                W_i), coarsest first.

        Returns:
            Tensor: (N, decoder_channels, H_last, W_last).
        """
        x = self.aspp(x)
        for feat, project, fuse in zip(low_level_feats, self.project,
                                       self.fuse):
            feat = project(feat)
            x = F.interpolate(
                x,
                size=feat.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners)
            pair = [feat, x] if self.low_level_first else [x, feat]
            x = fuse(torch.cat(pair, dim=1))
        return x
