"""One training step of P gloo processes against one process (tests, tools).

:func:`measure_parity` spawns P processes that set themselves up as
``tools/train.py`` sets up a CPU-only distributed run (the ``gloo`` group,
the ``MMDistributedDataParallel`` wrapper of ``model_wrapper_cfg``, the
configs' SyncBN as :class:`~mmpdl.models.utils.CPUSyncBatchNorm`) and take
one training step (``train_step``, Adam) on B images each. One process then
takes the same step from the same weights over all P x B images with plain
BN, and :func:`compare_steps` says how far apart the losses, the gradients
the optimizer sees, the parameters after the step and the BN running
statistics are.

Two one-process references exist because each process computes its losses
on its own B images and DDP averages the gradients (as the original
implementation does):

* ``union``: the model's own ``train_step`` on all P x B images;
* ``per_process_losses``: the same forward over all images (BN over the
  union), but each loss computed on every process's B images and the P
  values averaged: what P processes with SyncBN compute.

They differ because the semantic loss keeps the top-k hardest pixels of a
batch and the center/offset losses are divided by a batch's weight sums;
neither is a mean of per-image losses.
"""
import contextlib
import copy
import json
import os
import os.path as osp
import socket
import tempfile
from typing import Dict, Sequence

import torch

from mmpdl.testing.parity_steps import (QUICKSTART, REFERENCES,
                                        distributed_step, initial_state,
                                        make_images, parity_config,
                                        single_process_step)


def _max_relative(ours: Dict[str, torch.Tensor],
                  ref: Dict[str, torch.Tensor]) -> float:
    """max over tensors of ``max|ours - ref| / max|ref|``."""
    return max(
        float((ours[k] - v).abs().max() / v.abs().max().clamp_min(1e-30))
        for k, v in ref.items())


def compare_steps(ours: dict, ref: dict) -> Dict[str, object]:
    """How far one training step is from a reference step.

    Args:
        ours (dict): A step recorded by ``parity_steps.record_step``, its
            ``losses`` already averaged over the processes.
        ref (dict): A step of ``parity_steps.single_process_step``.

    Returns:
        dict: ``losses`` (name -> [ours, reference, relative difference]),
        ``grad_rel_l2`` (||g - g_ref|| / ||g_ref|| over all parameters),
        ``grad_max_rel`` (max over tensors of max|g - g_ref| / max|g_ref|),
        ``param_max_abs`` (max|p - p_ref| after the optimizer step),
        ``stats_max_rel`` (the same as ``grad_max_rel`` over the BN
        running means and variances) and ``batches_tracked_equal``.
    """
    losses = {
        k: [
            ours['losses'][k], v,
            abs(ours['losses'][k] - v) / max(abs(v), 1e-30)
        ]
        for k, v in ref['losses'].items()
    }
    names = list(ref['grads'])
    grad = torch.cat([ours['grads'][k].flatten() for k in names]).double()
    grad_ref = torch.cat([ref['grads'][k].flatten() for k in names]).double()
    stats = [
        k for k in ref['buffers']
        if k.endswith(('running_mean', 'running_var'))
    ]
    return dict(
        losses=losses,
        grad_rel_l2=float((grad - grad_ref).norm() / grad_ref.norm()),
        grad_max_rel=_max_relative(ours['grads'], ref['grads']),
        param_max_abs=max(
            float((ours['params'][k] - v).abs().max())
            for k, v in ref['params'].items()),
        stats_max_rel=_max_relative({k: ours['buffers'][k]
                                     for k in stats},
                                    {k: ref['buffers'][k]
                                     for k in stats}),
        batches_tracked_equal=all(
            torch.equal(ours['buffers'][k], v)
            for k, v in ref['buffers'].items()
            if k.endswith('num_batches_tracked')))


def _mean_over_processes(losses: Dict[str, float]) -> Dict[str, float]:
    """Each loss averaged over the processes of the group."""
    import torch.distributed as dist
    names = sorted(losses)
    values = torch.tensor([losses[k] for k in names], dtype=torch.float64)
    dist.all_reduce(values)
    values /= dist.get_world_size()
    return dict(zip(names, values.tolist()))


def _worker(rank: int, world_size: int, port: int, job: dict,
            out_file: str) -> None:
    """A process of :func:`measure_parity`: the CPU set-up of
    ``tools/train.py`` and one step per variant, then one reference step
    in this process alone (rank 0: ``per_process_losses``, rank 1:
    ``union``) and the comparisons, gathered by rank 0 into ``out_file``.
    """
    import torch.distributed as dist

    from mmpdl.utils import (register_all_modules, replace_syncbn,
                             setup_cpu_distributed)
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port))
    torch.set_num_threads(job['threads'])
    register_all_modules()
    try:
        images, dtype = job['images'], job['dtype']
        share = len(images) // world_size
        steps = {}
        for variant in job['variants']:
            cfg = copy.deepcopy(job['cfg'])
            if variant == 'BN':
                replace_syncbn(cfg.model, 'BN')
            setup_cpu_distributed(cfg, 'pytorch')
            steps[variant] = distributed_step(
                cfg, job['state'], images[rank * share:(rank + 1) * share],
                dtype)
            steps[variant]['losses'] = _mean_over_processes(
                steps[variant]['losses'])
        name = REFERENCES[rank % len(REFERENCES)]
        ref = single_process_step(job['cfg'], job['state'], images, world_size,
                                  name, dtype)
        summary = {
            f'{variant} vs {name}': compare_steps(step, ref)
            for variant, step in steps.items()
        }
        gathered = [None] * world_size
        dist.all_gather_object(gathered, summary)
        if rank == 0:
            merged = {}
            for part in gathered:
                merged.update(part)
            with open(out_file, 'w') as f:
                json.dump(merged, f, indent=1)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


@contextlib.contextmanager
def _children_without_gpus():
    """Processes started inside see no GPU (``CUDA_VISIBLE_DEVICES=''``
    from their start: setting it in a worker is too late once an import
    has asked CUDA), so that they take the CPU set-up on a GPU machine too.
    """
    old = os.environ.get('CUDA_VISIBLE_DEVICES')
    os.environ['CUDA_VISIBLE_DEVICES'] = ''
    try:
        yield
    finally:
        if old is None:
            del os.environ['CUDA_VISIBLE_DEVICES']
        else:
            os.environ['CUDA_VISIBLE_DEVICES'] = old


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def measure_parity(data_root: str,
                   config: str = QUICKSTART,
                   images_per_process: int = 2,
                   world_size: int = 2,
                   crop_size: Sequence[int] = (65, 129),
                   dtype: torch.dtype = torch.float64,
                   variants: Sequence[str] = ('config', 'BN'),
                   threads: int = 1,
                   seed: int = 0,
                   write_tiny_data: bool = True) -> Dict[str, dict]:
    """One training step in ``world_size`` gloo processes against one
    process over the same images, from the same initial weights.

    Args:
        data_root (str): Where the built-in dataset's 2 images are written
            (or, with ``write_tiny_data=False``, a dataset is read).
        config (str): Training config (SyncBN norms).
        images_per_process (int): B.
        world_size (int): P (at least 2).
        crop_size (Sequence[int]): (H, W) of the training crops.
        dtype (torch.dtype): What the models compute in; float64 leaves
            only what differs in the arithmetic, float32 is training's.
        variants (Sequence[str]): ``'config'``: the config's SyncBN as a
            CPU-only distributed run of ``tools/train.py`` builds it;
            ``'BN'``: plain BN in every process.
        threads (int): Torch threads per process.
        seed (int): Seed of the weights and of the data pipeline.
        write_tiny_data (bool): See :func:`make_images`.

    Returns:
        dict: ``'<variant> vs <reference>'`` -> :func:`compare_steps`'s
        dict, for both references (see the module doc).
    """
    import torch.multiprocessing as mp

    from mmpdl.utils import register_all_modules
    if world_size < 2:
        raise ValueError(f'measure_parity: world_size must be >= 2, got '
                         f'{world_size}')
    register_all_modules()
    cfg = parity_config(config, crop_size)
    images = make_images(cfg, data_root, world_size * images_per_process, seed,
                         write_tiny_data)
    job = dict(
        cfg=cfg,
        state=initial_state(cfg, seed),
        images=images,
        variants=list(variants),
        threads=threads,
        dtype=dtype)
    with tempfile.TemporaryDirectory() as tmp:
        out_file = osp.join(tmp, 'parity.json')
        with _children_without_gpus():
            mp.spawn(
                _worker,
                args=(world_size, free_port(), job, out_file),
                nprocs=world_size,
                join=True)
        with open(out_file) as f:
            return json.load(f)
