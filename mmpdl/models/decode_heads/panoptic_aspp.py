"""ASPP of Panoptic-DeepLab: 1x1 conv, atrous convs, global image pooling."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.aspp_head import ASPPModule


class PanopticASPP(nn.Module):
    """Atrous spatial pyramid pooling with a norm-free image-pooling branch.

    Branches, in this order (the order of the concatenation): a 1x1
    ConvModule, one 3x3 ConvModule per atrous rate (these are mmseg's
    ``ASPPModule``, ``aspp_convs``), and ``image_pool``: global average
    pooling + 1x1 conv (no bias, no norm) + activation, broadcast back with
    bilinear ``align_corners=True`` interpolation. The concatenation goes
    through ``project``: 1x1 ConvModule + dropout. Global pooling makes it
    work for any input size. mmseg's ``ASPPHead`` is not reused as a whole
    because its image-pooling branch has a norm layer and the original's has
    none.

    Args:
        in_channels (int): Input channels.
        channels (int): Channels of every branch and of the output.
        atrous_rates (Sequence[int]): Dilations of the 3x3 branches.
        norm_cfg (dict): Norm config of the ConvModules.
        act_cfg (dict): Activation config.
        dropout_ratio (float): Dropout after the projection.
        conv_cfg (dict, optional): Conv config.

    Input (N, in_channels, H, W) -> output (N, channels, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 atrous_rates: Sequence[int],
                 norm_cfg: dict,
                 act_cfg: dict = dict(type='ReLU'),
                 dropout_ratio: float = 0.5,
                 conv_cfg: Optional[dict] = None):
        super().__init__()
        if len(atrous_rates) == 0 or any(
                int(r) != r or r < 1 for r in atrous_rates):
            raise ValueError('PanopticASPP: atrous_rates must be positive '
                             f'integers, got {atrous_rates!r}')
        self.aspp_convs = ASPPModule((1, *atrous_rates), in_channels, channels,
                                     conv_cfg, norm_cfg, act_cfg)
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            ConvModule(
                in_channels,
                channels,
                1,
                bias=False,
                conv_cfg=conv_cfg,
                norm_cfg=None,
                act_cfg=act_cfg))
        self.project = nn.Sequential(
            ConvModule(
                (len(atrous_rates) + 2) * channels,
                channels,
                1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg), nn.Dropout(dropout_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, channels, H, W)."""
        pooled = F.interpolate(
            self.image_pool(x),
            size=x.shape[2:],
            mode='bilinear',
            align_corners=True)
        return self.project(torch.cat([*self.aspp_convs(x), pooled], dim=1))
