"""Model helpers: padding, prediction resizing, training targets and the
CPU-capable synchronized BatchNorm."""
from .cpu_sync_batch_norm import CPUSyncBatchNorm

__all__ = ['CPUSyncBatchNorm']
