"""Distributed set-up without CUDA (``gloo``), for CPU machines.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its default
model wrapper passes ``device_ids=[LOCAL_RANK]``; both fail without CUDA.
On such a machine we initialise a ``gloo`` process group from torchrun's
environment ourselves before the Runner is built (the Runner then skips
``init_dist``), wrap the model with ``MMDistributedDataParallel`` and
``device_ids=None``, and turn SyncBN into
:class:`~mmpdl.models.utils.CPUSyncBatchNorm` (PyTorch's SyncBatchNorm has
no CPU kernel): BN statistics over the images of all processes, as SyncBN
computes them on GPUs.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.logging import print_log


def replace_syncbn(cfg_node, new_type='BN'):
    """Recursively replace ``type='SyncBN'`` norm configs in place.

    Args:
        cfg_node (dict | list | Any): A (sub-)config.
        new_type (str): The norm type to use instead.

    Returns:
        int: How many norm configs were replaced.
    """
    count = 0
    if isinstance(cfg_node, dict):
        if cfg_node.get('type') == 'SyncBN':
            cfg_node['type'] = new_type
            count += 1
        for value in cfg_node.values():
            count += replace_syncbn(value, new_type)
    elif isinstance(cfg_node, (list, tuple)):
        for value in cfg_node:
            count += replace_syncbn(value, new_type)
    return count


def check_gpus_per_machine() -> None:
    """Stop a GPU run that starts more processes on this machine than it
    has GPUs, with what to do instead.

    mmengine's NCCL set-up gives each process the GPU of its ``LOCAL_RANK``
    (torchrun's ``LOCAL_WORLD_SIZE`` processes per machine); with more
    processes than GPUs it would stop with CUDA's "invalid device ordinal".

    Raises:
        RuntimeError: ``LOCAL_WORLD_SIZE`` exceeds the visible GPUs.
    """
    per_machine = int(os.environ.get('LOCAL_WORLD_SIZE', '0'))
    gpus = torch.cuda.device_count()
    if per_machine > gpus:
        raise RuntimeError(
            f'{per_machine} processes on this machine but {gpus} visible '
            f'GPU(s): NCCL needs one GPU per process. Start at most {gpus} '
            f'(`bash tools/dist_train.sh CONFIG {gpus}`), or run all of '
            'them on the CPU with `CUDA_VISIBLE_DEVICES=` (gloo; SyncBN '
            'becomes CPUSyncBN).')


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Prepare ``cfg`` and the process group for distributed CPU runs.

    Does nothing when ``launcher`` is ``'none'`` or CUDA is available (then
    mmengine's own NCCL path is used, after
    :func:`check_gpus_per_machine`).

    Args:
        cfg (mmengine.Config): The run's config; ``model_wrapper_cfg``,
            ``env_cfg.dist_cfg`` and the model's norm configs (``SyncBN``
            -> ``CPUSyncBN``) are changed.
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.

    Returns:
        bool: True when a ``gloo`` group is (now) initialised by us.
    """
    if launcher == 'none':
        return False
    if torch.cuda.is_available():
        check_gpus_per_machine()
        return False
    if launcher == 'slurm':
        _slurm_env_to_torchrun_env()
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher {launcher} needs the environment variables '
            f'{missing}; start the script with `torchrun --nproc_per_node N '
            'tools/train.py ...` or `bash tools/dist_train.sh CONFIG N`.')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel',
        device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    replaced = replace_syncbn(cfg.model, 'CPUSyncBN')
    if replaced:
        print_log(f'CPU distributed run: {replaced} SyncBN config(s) '
                  'replaced by CPUSyncBN (statistics over all processes; '
                  "PyTorch's SyncBatchNorm has no CPU kernel).")
    return True


def _slurm_env_to_torchrun_env():
    """Derive torchrun's variables from SLURM's (CPU-only slurm runs)."""
    if 'SLURM_PROCID' not in os.environ:
        return
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    nodelist = os.environ.get('SLURM_NODELIST', '127.0.0.1')
    os.environ.setdefault('MASTER_ADDR', nodelist.split(',')[0].split('[')[0])
    os.environ.setdefault('MASTER_PORT', '29500')
