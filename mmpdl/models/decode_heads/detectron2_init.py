"""detectron2's weight init of the Panoptic-DeepLab head."""
import torch.nn as nn
from mmcv.cnn import DepthwiseSeparableConvModule
from torch.nn.modules.batchnorm import _BatchNorm


def detectron2_head_init(head: nn.Module) -> None:
    """Initialise a ``PanopticDeepLabHead`` as detectron2 does its heads.

    detectron2 (fvcore's ``weight_init``): regular convs ``c2_xavier_fill``
    (``kaiming_uniform_`` with ``a=1``), both convs of a depthwise-separable
    block ``c2_msra_fill`` (``kaiming_normal_``, ``fan_out``, ReLU), the
    three 1x1 predictors N(0, 0.001); every conv bias 0, norms weight 1 /
    bias 0.

    Args:
        head (nn.Module): A ``PanopticDeepLabHead`` (its ``semantic_head``
            and ``instance_head`` entries end with the 1x1 predictor).
    """
    predictors = {
        id(entry[-1])
        for branch in (head.semantic_head, head.instance_head)
        for entry in branch.values()
    }
    separable = {
        id(conv.conv)
        for block in head.modules()
        if isinstance(block, DepthwiseSeparableConvModule)
        for conv in (block.depthwise_conv, block.pointwise_conv)
    }
    for m in head.modules():
        if isinstance(m, (_BatchNorm, nn.GroupNorm)):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
        if not isinstance(m, nn.Conv2d):
            continue
        if id(m) in predictors:
            nn.init.normal_(m.weight, std=0.001)
        elif id(m) in separable:
            nn.init.kaiming_normal_(
                m.weight, mode='fan_out', nonlinearity='relu')
        else:
            nn.init.kaiming_uniform_(m.weight, a=1)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
