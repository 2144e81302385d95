"""ASPP of Panoptic-DeepLab: 1x1 conv, atrous convs, image pooling."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from mmseg.models.decode_heads.sep_aspp_head import \
    DepthwiseSeparableASPPModule


def _check_pool_kernel_size(
        pool_kernel_size: Optional[Sequence[int]]
) -> Optional[Tuple[int, int]]:
    """``None`` or a (kh, kw) pair of positive integers."""
    if pool_kernel_size is None:
        return None
    kernel = tuple(pool_kernel_size)
    if len(kernel) != 2 or any(int(k) != k or k < 1 for k in kernel):
        raise ValueError('PanopticASPP: pool_kernel_size must be None (global '
                         'pooling) or two positive integers (kh, kw), got '
                         f'{pool_kernel_size!r}')
    return int(kernel[0]), int(kernel[1])


class SlidingAvgPool(nn.Module):
    """Average pooling with a fixed (kh, kw) kernel and stride 1.

    A side shorter than the kernel is averaged whole (the kernel is cut to
    the input), so any input size works: (N, C, H, W) -> (N, C,
    max(H - kh, 0) + 1, max(W - kw, 0) + 1).

    Args:
        kernel_size (tuple[int, int]): (kh, kw).
    """

    def __init__(self, kernel_size: Tuple[int, int]):
        super().__init__()
        self.kernel_size = tuple(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> pooled (N, C, H', W')."""
        kernel_h = min(self.kernel_size[0], int(x.shape[2]))
        kernel_w = min(self.kernel_size[1], int(x.shape[3]))
        return F.avg_pool2d(x, (kernel_h, kernel_w), stride=1)


class PanopticASPP(nn.Module):
    """Atrous spatial pyramid pooling with a norm-free image-pooling branch.

    Branches, in this order (the order of the concatenation): a 1x1
    ConvModule, one 3x3 branch per atrous rate (these are mmseg's
    ``ASPPModule``, ``aspp_convs``; with ``depthwise_separable`` mmseg's
    ``DepthwiseSeparableASPPModule``, whose dilated branches are a 3x3
    depthwise ConvModule + norm + act, then a 1x1 pointwise ConvModule +
    norm + act), and ``image_pool``: average pooling + 1x1 conv (no norm)
    + activation, upsampled back bilinearly. The concatenation goes through
    ``project``: 1x1 ConvModule + dropout. mmseg's ``ASPPHead`` is not
    reused as a whole because its image-pooling branch has a norm layer and
    Panoptic-DeepLab's has none.

    Image pooling is global (``pool_kernel_size=None``, the original's
    choice) or, as detectron2 builds it, an average pooling with a fixed
    kernel (the training crop divided by the output stride) and stride 1
    (:class:`SlidingAvgPool`): global on a training crop, a sliding window
    on larger inputs. detectron2 refuses inputs that are smaller than the
    kernel or not a multiple of it; here every size works (a side shorter
    than the kernel is pooled whole), and the sizes detectron2 accepts give
    its result.

    Args:
        in_channels (int): Input channels.
        channels (int): Channels of every branch and of the output.
        atrous_rates (Sequence[int]): Dilations of the 3x3 branches.
        norm_cfg (dict): Norm config of the ConvModules.
        act_cfg (dict): Activation config.
        dropout_ratio (float): Dropout after the projection.
        conv_cfg (dict, optional): Conv config.
        depthwise_separable (bool): Depthwise-separable atrous branches.
            Defaults to False.
        pool_kernel_size (tuple[int, int], optional): Kernel (kh, kw) of the
            image pooling; None: global. Defaults to None.
        image_pool_bias (bool): Bias in the image-pooling conv (detectron2:
            True, the original: False). Defaults to False.
        align_corners (bool): Of the image-pooling upsampling. Defaults to
            True.

    Input (N, in_channels, H, W) -> output (N, channels, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 atrous_rates: Sequence[int],
                 norm_cfg: dict,
                 act_cfg: dict = dict(type='ReLU'),
                 dropout_ratio: float = 0.5,
                 conv_cfg: Optional[dict] = None,
                 depthwise_separable: bool = False,
                 pool_kernel_size: Optional[Sequence[int]] = None,
                 image_pool_bias: bool = False,
                 align_corners: bool = True):
        super().__init__()
        if len(atrous_rates) == 0 or any(
                int(r) != r or r < 1 for r in atrous_rates):
            raise ValueError('PanopticASPP: atrous_rates must be positive '
                             f'integers, got {atrous_rates!r}')
        self.pool_kernel_size = _check_pool_kernel_size(pool_kernel_size)
        self.align_corners = align_corners
        branches = (
            DepthwiseSeparableASPPModule
            if depthwise_separable else ASPPModule)
        self.aspp_convs = branches(
            dilations=(1, *atrous_rates),
            in_channels=in_channels,
            channels=channels,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        pool = (
            nn.AdaptiveAvgPool2d(1) if self.pool_kernel_size is None else
            SlidingAvgPool(self.pool_kernel_size))
        self.image_pool = nn.Sequential(
            pool,
            ConvModule(
                in_channels,
                channels,
                1,
                bias=image_pool_bias,
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
        # the branches in the references' order (convs, then pooling): the
        # gradients of x from the five branches are then summed in the same
        # order, which float rounding depends on
        branches = list(self.aspp_convs(x))
        branches.append(
            F.interpolate(
                self.image_pool(x),
                size=x.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners))
        return self.project(torch.cat(branches, dim=1))
