"""Helpers shared by the backbones: norm layers, output stride, freezing."""
from functools import partial
from typing import Callable, Iterable, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

# output stride -> torchvision's ``replace_stride_with_dilation`` for the
# last three stages (strides 8, 16, 32).
DILATION_FOR_OUTPUT_STRIDE = {
    32: (False, False, False),
    16: (False, False, True),
    8: (False, True, True),
}


def check_output_stride(output_stride: int, owner: str) -> Tuple[bool, ...]:
    """Validate ``output_stride``; return ``replace_stride_with_dilation``.

    Args:
        output_stride (int): 8, 16 or 32.
        owner (str): Class name used in the error message.

    Returns:
        tuple[bool, bool, bool]: Which of the stride-8/16/32 stages use
        dilation instead of stride.
    """
    if output_stride not in DILATION_FOR_OUTPUT_STRIDE:
        raise ValueError(
            f'{owner}: output_stride={output_stride!r} is not supported; '
            f'use one of {sorted(DILATION_FOR_OUTPUT_STRIDE)}')
    return DILATION_FOR_OUTPUT_STRIDE[output_stride]


def _build_norm(norm_cfg: dict, num_features: int) -> nn.Module:
    """One norm layer from an mmcv ``norm_cfg``."""
    return build_norm_layer(norm_cfg, num_features)[1]


def norm_layer_factory(norm_cfg: dict) -> Callable[[int], nn.Module]:
    """A torchvision-style ``norm_layer(num_features)`` from ``norm_cfg``.

    Args:
        norm_cfg (dict): mmcv norm config, e.g. ``dict(type='SyncBN',
            momentum=0.01, requires_grad=True)``.

    Returns:
        Callable[[int], nn.Module]: Builds one norm layer.
    """
    if not isinstance(norm_cfg, dict) or 'type' not in norm_cfg:
        raise TypeError(f'norm_cfg must be a dict with a "type" key, got '
                        f'{norm_cfg!r}')
    return partial(_build_norm, dict(norm_cfg))


def freeze_modules(modules: Iterable[nn.Module]) -> None:
    """Put ``modules`` in eval mode and stop their parameters' gradients."""
    for module in modules:
        module.eval()
        for param in module.parameters():
            param.requires_grad = False


def set_norm_eval(module: nn.Module) -> None:
    """Switch every BatchNorm-like layer of ``module`` to eval mode."""
    for m in module.modules():
        if isinstance(m, _BatchNorm):
            m.eval()


def check_out_indices(out_indices: Sequence[int], num_outputs: int,
                      owner: str) -> Tuple[int, ...]:
    """Validate that every entry of ``out_indices`` is in 0..num_outputs-1.

    Returns:
        tuple[int, ...]: ``out_indices`` as a tuple.
    """
    for index in out_indices:
        if index not in range(num_outputs):
            raise ValueError(f'{owner}: out_indices entry {index!r} is not '
                             f'in 0..{num_outputs - 1}')
    return tuple(out_indices)


def _spatial_convs(block: nn.Module):
    """The convs of ``block`` with a kernel larger than 1x1."""
    return [
        m for m in block.modules()
        if isinstance(m, nn.Conv2d) and m.kernel_size[0] > 1
    ]


def dilate_blocks(blocks: nn.Sequential, output_stride: int) -> None:
    """Trade the strides past ``output_stride`` for dilation, in place.

    A block that would push the stride past ``output_stride`` keeps its
    current dilation with stride 1; every later conv with a kernel larger
    than 1x1 gets twice the dilation per removed stride (padding =
    dilation * (k // 2) keeps the size), as torchvision's ResNet does with
    ``replace_stride_with_dilation`` and deeplab2's MobileNetV3 does.

    Args:
        blocks (nn.Sequential): The feature blocks of a
            MobileNet (torchvision's ``features``).
        output_stride (int): Largest stride to keep (8, 16 or 32).
    """
    stride, dilation = 1, 1
    for block in blocks:
        for conv in _spatial_convs(block):
            next_dilation = dilation
            if conv.stride[0] == 2:
                if stride * 2 > output_stride:
                    conv.stride = (1, 1)
                    next_dilation = dilation * 2
                else:
                    stride *= 2
            conv.dilation = (dilation, dilation)
            conv.padding = (dilation * (conv.kernel_size[0] // 2), ) * 2
            dilation = next_dilation


class FreezableBackbone(BaseModule):
    """Base of the backbones with ``frozen_stages`` and ``norm_eval``.

    Subclasses set ``self.frozen_stages`` and ``self.norm_eval`` and
    implement ``_freeze_stages()``; ``train()`` then keeps frozen stages
    (and, with ``norm_eval``, every BatchNorm) in eval mode.
    """

    def _freeze_stages(self) -> None:
        raise NotImplementedError

    def train(self, mode: bool = True) -> 'FreezableBackbone':
        """Set train mode, keeping frozen stages and (optionally) norms in
        eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            set_norm_eval(self)
        return self
