"""Renaming rules: original Panoptic-DeepLab keys <-> mmpdl keys.

Backbones keep the original's names: ResNet/ResNeXt and MobileNetV2 are
torchvision's modules under their torchvision names in both code bases,
Xception-65 follows the original's block layout, and mmseg's ``HRNet`` has
exactly the parameter names of the original HRNet. So every
``backbone.*`` key is kept as it is (the shapes are still checked).

The head differs: the original's ``decoder`` holds two
``SinglePanopticDeepLabDecoder`` (ASPP, low-level projections, 5x5
depthwise-separable fuse convs) and two ``SinglePanopticDeepLabHead``
(a depthwise-separable conv and a 1x1 classifier per output), built from
plain ``nn.Sequential`` indices; mmpdl's ``decode_head`` names them.
"""
from typing import List

from mmpdl.models.utils.key_template import KeyRule

BACKBONE_RULES = [KeyRule('backbone.{rest*}', 'backbone.{rest*}')]


def _separable_rules(original: str, mmpdl: str) -> List[KeyRule]:
    """Rules of one 5x5 depthwise-separable conv (conv, BN, conv, BN).

    The original nests it as ``Sequential(Sequential(dw_conv, dw_bn),
    pw_conv, pw_bn)`` (a ReLU between them holds no tensors); mmpdl's
    ``DepthwiseSeparableConvModule`` names the parts.
    """
    return [
        KeyRule(original + '0.0.{p*}', mmpdl + 'depthwise_conv.conv.{p*}'),
        KeyRule(original + '0.1.{p*}', mmpdl + 'depthwise_conv.bn.{p*}'),
        KeyRule(original + '1.{p*}', mmpdl + 'pointwise_conv.conv.{p*}'),
        KeyRule(original + '2.{p*}', mmpdl + 'pointwise_conv.bn.{p*}'),
    ]


def _conv_bn_rules(original: str, mmpdl: str) -> List[KeyRule]:
    """``Sequential(conv, BN)`` -> ``ConvModule`` (``conv``, ``bn``)."""
    return [
        KeyRule(original + '0.{p*}', mmpdl + 'conv.{p*}'),
        KeyRule(original + '1.{p*}', mmpdl + 'bn.{p*}'),
    ]


def _decoder_rules(branch: str) -> List[KeyRule]:
    """One branch's ASPP, low-level projections and fuse convs.

    The original's ASPP keeps its 1x1 and three atrous convs in
    ``convs.0-3`` and the image pooling (pool, 1x1 conv without BN) in
    ``convs.4.aspp_pooling``.
    """
    original = f'decoder.{branch}_decoder.'
    mmpdl = f'decode_head.{branch}_decoder.'
    return (
        _conv_bn_rules(
            original + 'aspp.convs.{i}.', mmpdl + 'aspp.aspp_convs.{i}.') + [
                KeyRule(original + 'aspp.convs.4.aspp_pooling.1.{p*}',
                        mmpdl + 'aspp.image_pool.1.conv.{p*}')
            ] +
        _conv_bn_rules(original + 'aspp.project.', mmpdl + 'aspp.project.0.') +
        _conv_bn_rules(original + 'project.{i}.', mmpdl + 'project.{i}.') +
        _separable_rules(original + 'fuse.{i}.0.', mmpdl + 'fuse.{i}.'))


def _prediction_rules(branch: str, original_name: str,
                      mmpdl_name: str) -> List[KeyRule]:
    """One prediction head: a separable conv then a 1x1 classifier."""
    original = f'decoder.{branch}_head.classifier.{original_name}.'
    mmpdl = f'decode_head.{branch}_head.{mmpdl_name}.'
    return _separable_rules(original + '0.0.', mmpdl + '0.') + [
        KeyRule(original + '1.{p*}', mmpdl + '1.{p*}')
    ]


HEAD_RULES: List[KeyRule] = (
    _decoder_rules('semantic') + _decoder_rules('instance') +
    _prediction_rules('semantic', 'semantic', 'sem_seg') +
    _prediction_rules('instance', 'center', 'center') +
    _prediction_rules('instance', 'offset', 'offset'))


def rules_for_config(cfg) -> List[KeyRule]:
    """The rules converting between the original and ``cfg``'s model.

    Args:
        cfg (mmengine.Config): An mmpdl config; its ``model`` is a
            ``PanopticDeepLab`` with any of the supported backbones.

    Returns:
        list[KeyRule]: Head rules first, then the backbone rule.
    """
    return HEAD_RULES + BACKBONE_RULES
