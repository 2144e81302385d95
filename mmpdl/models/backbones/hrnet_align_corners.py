"""mmseg's HRNet with the original's ``align_corners=True`` branch fusion."""
from typing import List

import torch
import torch.nn.functional as F
from mmseg.models.backbones import HRNet
from mmseg.models.backbones.hrnet import HRModule
from mmseg.models.utils import Upsample

from mmpdl.registry import MODELS


class AlignCornersHRModule(HRModule):
    """``HRModule`` whose fusion upsamples with ``align_corners=True``.

    Same parameters as mmseg's module; only the upsampling of the coarser
    branches into a finer one changes: mmseg upsamples by a scale factor
    with ``align_corners=False``, the HRNet of Panoptic-DeepLab interpolates
    to the finer branch's size with ``align_corners=True``.
    """

    def _fuse_input(self, i: int, j: int, x: torch.Tensor,
                    size: torch.Size) -> torch.Tensor:
        """Branch ``j``'s contribution to fused branch ``i``."""
        layer = self.fuse_layers[i][j]
        if j <= i:
            return layer(x)
        for module in layer:
            if not isinstance(module, Upsample):
                x = module(x)
        return F.interpolate(x, size=size, mode='bilinear', align_corners=True)

    def forward(self, x: List[torch.Tensor]) -> List[torch.Tensor]:
        """list of (N, C_b, H_b, W_b) per branch -> fused list."""
        if self.num_branches == 1:
            return [self.branches[0](x[0])]
        x = [branch(feat) for branch, feat in zip(self.branches, x)]
        fused = []
        for i in range(len(self.fuse_layers)):
            y = 0
            for j in range(self.num_branches):
                if i == j:
                    y = y + x[j]
                else:
                    y = y + self._fuse_input(i, j, x[j], x[i].shape[2:])
            fused.append(self.relu(y))
        return fused


@MODELS.register_module()
class PanopticHRNet(HRNet):
    """mmseg ``HRNet`` fused as in Panoptic-DeepLab's HRNet.

    Every ``HRModule`` becomes an :class:`AlignCornersHRModule` (no new
    parameters, so mmseg/HRNet ImageNet checkpoints load unchanged). Takes
    mmseg ``HRNet``'s arguments; outputs the 4 branches, e.g. for W48 48,
    96, 192, 384 channels at strides 4, 8, 16, 32.

    Input (N, 3, H, W) float -> list of (N, C_b, H_b, W_b) float.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for module in self.modules():
            if type(module) is HRModule:
                module.__class__ = AlignCornersHRModule
        self.out_channels = tuple(self.stage4_cfg['num_channels'])
