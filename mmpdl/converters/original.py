"""The original Panoptic-DeepLab's checkpoints: key names and conversion.

The original implementation is github.com/bowenc0221/panoptic-deeplab. Its
checkpoints (a bare state dict or ``{'state_dict': ...}``, keys with or
without ``module.``) are renamed to the parameter and buffer names of the
mmpdl model of a config by :data:`ORIGINAL_RULES`.

Backbones keep the original's names (torchvision ResNet/ResNeXt and
MobileNetV2 in both code bases, Xception-65 in the original's block layout,
mmseg's ``HRNet`` with the original HRNet's parameter names), so every
``backbone.*`` key is kept. The head differs: the original's ``decoder``
holds two ``SinglePanopticDeepLabDecoder`` (ASPP, low-level projections,
5x5 depthwise-separable fuse convs) and two ``SinglePanopticDeepLabHead``,
built from plain ``nn.Sequential`` indices; mmpdl's ``decode_head`` names
them.
"""
from typing import List

from mmengine import Config

from .checkpoint_io import (conversion_meta, read_state_dict, save_converted,
                            save_state_dict)
from .key_rules import (KeyRule, convert_back, convert_state_dict,
                        model_tensor_shapes)

CONVERTER = 'tools/model_converters/panoptic_deeplab_to_mmpdl.py'

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


#: original -> mmpdl, head rules first, then the backbone rule
ORIGINAL_RULES: List[KeyRule] = (
    _decoder_rules('semantic') + _decoder_rules('instance') +
    _prediction_rules('semantic', 'semantic', 'sem_seg') +
    _prediction_rules('instance', 'center', 'center') +
    _prediction_rules('instance', 'offset', 'offset') + BACKBONE_RULES)


def original_to_mmpdl(src: str, dst: str, config_path: str) -> int:
    """Convert the original's checkpoint ``src`` into ``dst`` for the model
    of ``config_path`` (``{'state_dict', 'meta'}``, the source's sha256 in
    ``meta``); returns the number of tensors written."""
    converted = convert_state_dict(
        read_state_dict(src),
        model_tensor_shapes(Config.fromfile(config_path)),
        ORIGINAL_RULES,
        what=f'{src} with config {config_path}')
    save_converted(converted, dst, conversion_meta(src, config_path,
                                                   CONVERTER))
    return len(converted)


def mmpdl_to_original(src: str, dst: str, config_path: str) -> int:
    """Convert the mmpdl checkpoint ``src`` of ``config_path``'s model into
    the original's naming: a bare state dict, as the original saves; returns
    the number of tensors written."""
    converted = convert_back(
        read_state_dict(src),
        model_tensor_shapes(Config.fromfile(config_path)),
        ORIGINAL_RULES,
        'the original',
        what=f'{src} with config {config_path}')
    save_state_dict(converted, dst)
    return len(converted)
