"""Synchronized BatchNorm that runs on the CPU (``gloo``).

PyTorch's ``nn.SyncBatchNorm`` has no CPU kernel (``batch_norm_stats`` is
CUDA-only), so a CPU-only distributed run could only normalise each
process's images by themselves, which is not what the reference's SyncBN
computes. This layer gathers every process's per-channel mean and variance
(one ``all_gather``), normalises with the statistics of the union and, in
the backward pass, all-reduces the per-channel sums of ``dy`` and
``dy * x_hat`` (one ``all_reduce``), as ``nn.SyncBatchNorm`` does on GPUs:
a step over P processes of B images each normalises, updates the running
statistics and back-propagates as BatchNorm over the P x B images in one
process. The element-wise work is PyTorch's own BN kernels.
"""
from typing import Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from mmpdl.registry import MODELS


def _reduce_dims(input: torch.Tensor) -> Tuple[int, ...]:
    """Every dim of an (N, C, ...) tensor but the channels."""
    return (0, ) + tuple(range(2, input.dim()))


def _per_channel(values: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    """(C,) -> (1, C, 1, ...), broadcastable against ``input``."""
    return values.view((1, -1) + (1, ) * (input.dim() - 2))


def _union_mean_var(input: torch.Tensor, group) -> Tuple[torch.Tensor, ...]:
    """Mean and biased variance per channel of the union of every process's
    ``input``, and the union's count.

    Each process's mean and variance (PyTorch's BN statistics kernel) are
    gathered and combined in float64 with Chan et al.'s parallel formula
    (``M2 = sum n_p var_p + sum n_p (mean_p - mean)^2``), which is as exact
    as a two-pass variance over the union.
    """
    # PyTorch's one-pass BN statistics kernel (torch.var_mean is ~4x slower
    # over the non-channel dims); without running buffers it only returns
    # the batch's mean and biased variance
    mean, var = torch.batch_norm_update_stats(input.detach(), None, None, 0.0)
    count = input.numel() // input.shape[1]
    local = torch.cat([
        mean.double(),
        var.double(),
        mean.new_full((1, ), count, dtype=torch.float64)
    ])
    gathered = [
        torch.empty_like(local) for _ in range(dist.get_world_size(group))
    ]
    dist.all_gather(gathered, local, group=group)
    stats = torch.stack(gathered)
    channels = input.shape[1]
    means, vars_, counts = (stats[:, :channels], stats[:, channels:-1],
                            stats[:, -1:])
    total = counts.sum()
    union_mean = (counts * means).sum(0) / total
    union_var = (counts * (vars_ + (means - union_mean)**2)).sum(0) / total
    return (union_mean.to(input.dtype), union_var.to(input.dtype), int(total))


class _SyncBatchNormFunction(torch.autograd.Function):
    """Batch normalisation with the statistics of all processes.

    Forward: one ``all_gather`` of the per-process means and variances,
    then PyTorch's BN kernel with the union's statistics. Backward:
    PyTorch's BN backward kernel gives this process's part with its own
    sums of ``dy`` and ``dy * x_hat``; one ``all_reduce`` of those sums
    gives the union's, and a per-channel affine correction of ``x`` turns
    the local input gradient into the union's. The weight and bias
    gradients stay this process's (DDP averages them).
    """

    @staticmethod
    def forward(ctx, input, weight, bias, mean, var, count, eps, group):
        invstd = torch.rsqrt(var + eps)
        ctx.save_for_backward(input, weight, mean, invstd)
        ctx.count, ctx.eps, ctx.group = count, eps, group
        return F.batch_norm(input, mean, var, weight, bias, False, 0.0, eps)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, mean, invstd = ctx.saved_tensors
        grad_output = grad_output.contiguous()
        grad_input, grad_weight, grad_bias = (
            torch.ops.aten.native_batch_norm_backward(
                grad_output, input, weight, None, None, mean, invstd, True,
                ctx.eps, [True, weight is not None, True]))
        # this process's sums of dy and dy * x_hat (the bias and weight
        # gradients of the kernel), then the union's
        if weight is None:
            sum_dy_xhat = _channel_sum(
                grad_output * (input - _per_channel(mean, input))) * invstd
        else:
            sum_dy_xhat = grad_weight
        local = torch.stack([grad_bias, sum_dy_xhat])
        union = local.clone()
        dist.all_reduce(union, group=ctx.group)
        local_count = input.numel() // input.shape[1]
        scale = invstd if weight is None else invstd * weight
        # grad_input was scale * (dy - s_dy / n - x_hat * s_dyx / n) with
        # this process's sums; the union's uses S / N instead of s / n
        gap = local / local_count - union / ctx.count
        slope = scale * invstd * gap[1]
        offset = scale * gap[0] - mean * slope
        # in place: grad_input is a new tensor of the backward kernel
        grad_input.addcmul_(input, _per_channel(slope, input))
        grad_input.add_(_per_channel(offset, input))
        if weight is None:  # affine=False
            grad_weight = grad_bias = None
        return (grad_input, grad_weight, grad_bias, None, None, None, None,
                None)


def _channel_sum(tensor: torch.Tensor) -> torch.Tensor:
    """(N, C, ...) -> (C,) sum over every dim but the channels."""
    return tensor.sum(dim=_reduce_dims(tensor))


@MODELS.register_module('CPUSyncBN')
class CPUSyncBatchNorm(nn.BatchNorm2d):
    """BatchNorm whose training statistics span all processes of a group.

    In training mode inside an initialised process group of more than one
    process, the mean and the (biased) variance that normalise the input
    are those of the union of every process's batch; the running mean and
    variance are updated with that mean and the unbiased variance of the
    union (``count / (count - 1)``), as ``nn.BatchNorm2d`` over the whole
    batch would. Otherwise (one process, no group, eval mode) it is
    ``nn.BatchNorm2d``, with the same parameters, buffers and state-dict
    keys, so checkpoints move freely between BN, SyncBN and this layer.

    It works on any device whose backend has ``all_gather`` and
    ``all_reduce``; mmpdl uses it where ``nn.SyncBatchNorm`` cannot run:
    ``tools/train.py`` puts it in place of the configs' ``SyncBN`` in a
    CPU-only distributed run (``mmpdl.utils.setup_cpu_distributed``).

    Args:
        num_features (int): Channels C of the (N, C, ...) input.
        eps (float): Added to the variance. Defaults to 1e-5.
        momentum (float, optional): Running-statistics factor, or None for
            a cumulative average. Defaults to 0.1.
        affine (bool): Learnable weight and bias. Defaults to True.
        track_running_stats (bool): Keep running statistics. Defaults to
            True.
        process_group (ProcessGroup, optional): Group to synchronise over.
            Defaults to None (the default group).
    """

    def __init__(self,
                 num_features: int,
                 eps: float = 1e-5,
                 momentum: Optional[float] = 0.1,
                 affine: bool = True,
                 track_running_stats: bool = True,
                 process_group=None,
                 **kwargs):
        super().__init__(num_features, eps, momentum, affine,
                         track_running_stats, **kwargs)
        self.process_group = process_group

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f'{type(self).__name__}: expected an (N, C, ...) '
                             f'input, got shape {tuple(input.shape)}')

    def _synchronised(self) -> bool:
        """Whether this forward pass uses the statistics of all processes."""
        return (self.training and dist.is_available()
                and dist.is_initialized()
                and dist.get_world_size(self.process_group) > 1)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Normalise ``input``.

        Args:
            input (Tensor): (N, C, ...) float features; N may differ between
                processes.

        Returns:
            Tensor: Same shape and dtype as ``input``.
        """
        if not self._synchronised():
            return super().forward(input)
        self._check_input_dim(input)
        mean, var, count = _union_mean_var(input, self.process_group)
        if count <= 1:
            raise ValueError(f'{type(self).__name__}: expected more than 1 '
                             'value per channel over all processes when '
                             f'training, got {count}')
        self._update_running_stats(mean, var, count)
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias,
                                            mean, var, count, self.eps,
                                            self.process_group)

    @torch.no_grad()
    def _update_running_stats(self, mean: torch.Tensor, var: torch.Tensor,
                              count: int) -> None:
        """BatchNorm's update with the union's mean and unbiased variance."""
        if not self.track_running_stats or self.running_mean is None:
            return
        self.num_batches_tracked.add_(1)
        factor = self.momentum
        if factor is None:
            factor = 1.0 / float(self.num_batches_tracked)
        unbiased = var * (count / (count - 1))
        self.running_mean.mul_(1 - factor).add_(mean, alpha=factor)
        self.running_var.mul_(1 - factor).add_(unbiased, alpha=factor)
