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


class PanopticDecoderBranch(nn.Module):
    """ASPP on the deepest feature, then top-down fusion of low-level ones.

    For each low-level feature ``i`` (from the coarsest, stride 16, to the
    finest, stride 4): project it with a 1x1 ConvModule
    (``project[i]``), upsample the running feature to its size (bilinear,
    ``align_corners``), concatenate ``[running, projected]`` and fuse with a
    5x5 depthwise-separable ConvModule (``fuse[i]``: depthwise conv + norm +
    act, pointwise conv + norm + act).

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
                 conv_cfg: Optional[dict] = None):
        super().__init__()
        check_same_length(
            'PanopticDecoderBranch',
            low_level_channels=low_level_channels,
            low_level_projections=low_level_projections)
        self.align_corners = align_corners
        self.aspp = PanopticASPP(in_channels, aspp_channels, atrous_rates,
                                 norm_cfg, act_cfg, dropout_ratio, conv_cfg)
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
                DepthwiseSeparableConvModule(
                    running_channels + low_out,
                    decoder_channels,
                    5,
                    padding=2,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
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
            x = fuse(torch.cat([x, feat], dim=1))
        return x
