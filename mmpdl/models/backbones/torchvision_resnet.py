"""ResNet and ResNeXt backbones built on torchvision's implementation."""
from typing import Optional, Sequence, Tuple

import torch
import torchvision

from mmpdl.registry import MODELS
from .backbone_utils import (FreezableBackbone, check_out_indices,
                             check_output_stride, freeze_modules,
                             norm_layer_factory)

# depth -> (torchvision block class, blocks per stage)
RESNET_ARCHS = {
    18: (torchvision.models.resnet.BasicBlock, (2, 2, 2, 2)),
    34: (torchvision.models.resnet.BasicBlock, (3, 4, 6, 3)),
    50: (torchvision.models.resnet.Bottleneck, (3, 4, 6, 3)),
    101: (torchvision.models.resnet.Bottleneck, (3, 4, 23, 3)),
    152: (torchvision.models.resnet.Bottleneck, (3, 8, 36, 3)),
}


@MODELS.register_module()
class TorchvisionResNet(FreezableBackbone):
    """torchvision's ResNet / ResNeXt without its classifier.

    The original Panoptic-DeepLab uses torchvision's ResNet, so this module
    builds ``torchvision.models.resnet.ResNet`` and keeps its stem and four
    stages under their torchvision names (``conv1``, ``bn1``, ``layer1`` ...
    ``layer4``), so torchvision ImageNet checkpoints load as they are.

    Args:
        depth (int): 18, 34, 50, 101 or 152.
        groups (int): Groups of the 3x3 convs (ResNeXt: 32). Defaults to 1.
        width_per_group (int): Width per group (ResNeXt-32x8d: 8).
            Defaults to 64.
        output_stride (int): 32, 16 or 8; stages past it use dilation
            instead of stride (torchvision's ``replace_stride_with_dilation``).
            ResNet-18/34 only support 32.
        out_indices (Sequence[int]): Which stages (0..3 = ``layer1`` ..
            ``layer4``, nominal strides 4, 8, 16, 32) to return.
        frozen_stages (int): -1 freezes nothing, 0 the stem, i >= 1 the stem
            and ``layer1`` .. ``layer{i}``.
        norm_cfg (dict): mmcv norm config of every norm layer.
        norm_eval (bool): Keep norm layers in eval mode while training.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint=<torchvision URL or local path>)``.

    Inputs: (N, 3, H, W) float. Outputs: tuple of (N, C_i, H_i, W_i) float,
    C = (64, 128, 256, 512) * expansion (4 for depth >= 50).
    """

    def __init__(self,
                 depth: int = 50,
                 groups: int = 1,
                 width_per_group: int = 64,
                 output_stride: int = 32,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in RESNET_ARCHS:
            raise ValueError(f'TorchvisionResNet: depth={depth!r} is not '
                             f'supported; use one of {sorted(RESNET_ARCHS)}')
        dilation = check_output_stride(output_stride, 'TorchvisionResNet')
        block, layers = RESNET_ARCHS[depth]
        if block is torchvision.models.resnet.BasicBlock and any(dilation):
            raise ValueError(
                f'TorchvisionResNet: depth={depth} uses BasicBlock, which '
                f'torchvision cannot dilate; output_stride={output_stride} '
                'needs depth >= 50 (or use output_stride=32)')
        net = torchvision.models.resnet.ResNet(
            block,
            list(layers),
            groups=groups,
            width_per_group=width_per_group,
            replace_stride_with_dilation=list(dilation),
            norm_layer=norm_layer_factory(norm_cfg))
        self.conv1, self.bn1 = net.conv1, net.bn1
        self.relu, self.maxpool = net.relu, net.maxpool
        self.layer1, self.layer2 = net.layer1, net.layer2
        self.layer3, self.layer4 = net.layer3, net.layer4
        self.depth = depth
        self.output_stride = output_stride
        self.out_indices = check_out_indices(out_indices, 4,
                                             'TorchvisionResNet')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        stage_channels = [64 * block.expansion * 2**i for i in range(4)]
        self.out_channels = tuple(stage_channels[i] for i in self.out_indices)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        """Freeze the stem and the first ``frozen_stages`` stages."""
        if self.frozen_stages >= 0:
            freeze_modules([self.conv1, self.bn1])
        for i in range(1, self.frozen_stages + 1):
            freeze_modules([getattr(self, f'layer{i}')])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(N, 3, H, W) -> tuple of the selected stage outputs."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
