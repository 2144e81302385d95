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
