"""The training steps that :mod:`mmpdl.testing.distributed_parity` compares.

A model of a config with deterministic settings (:func:`parity_config`),
seeded images of a Cityscapes-format dataset (:func:`make_images`), and one
training step (``train_step``, the config's optimizer) recorded by
:func:`record_step`: the losses, the gradients the optimizer sees (after
DDP's all-reduce), the parameters after the step and the buffers. The step
runs either in a process of a group, wrapped as mmengine's Runner wraps a
distributed model (:func:`distributed_step`), or in one process with plain
BN over all images (:func:`single_process_step`, two references: see
:data:`REFERENCES`).
"""
import copy
import logging
import os.path as osp
import random
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

MMPDL_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICKSTART = osp.join(
    MMPDL_ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-256x512.py')


def parity_config(config: str = QUICKSTART,
                  crop_size: Sequence[int] = (65, 129)) -> Config:
    """The config's model and optimizer, made deterministic for comparing.

    No pretrained weights (nothing is downloaded) and no dropout (the
    head's ASPP dropout draws other masks for 1 x PB images than for P x B
    images).

    Args:
        config (str): A Cityscapes-format training config.
        crop_size (Sequence[int]): (H, W) of the training crops.

    Returns:
        Config: The loaded config, changed.
    """
    from mmpdl.datasets import fill_dataset_meta
    from mmpdl.utils import load_config
    cfg = load_config(config, None)
    cfg.model.backbone.init_cfg = None
    cfg.model.decode_head.dropout_ratio = 0.0
    crops = [
        t for t in cfg.train_dataloader.dataset.pipeline
        if t['type'] == 'PanopticRandomCrop'
    ]
    if len(crops) != 1:
        raise ValueError(f'parity_config: the training pipeline of {config} '
                         'needs exactly one PanopticRandomCrop, found '
                         f'{len(crops)}')
    crops[0]['crop_size'] = tuple(crop_size)
    fill_dataset_meta(cfg)  # as tools/train.py does
    return cfg


def make_images(cfg: Config,
                data_root: str,
                num_images: int,
                seed: int = 0,
                write_tiny_data: bool = True) -> List[dict]:
    """``num_images`` training samples of a Cityscapes-format dataset.

    Draws them (image ``i % len(dataset)``) through the config's training
    pipeline (random resize, crop, flip, targets), seeded.

    Args:
        write_tiny_data (bool): First write 2 train images of 64x128 of the
            built-in dataset to ``data_root``; False reads the dataset that
            is there.

    Returns:
        list[dict]: ``inputs`` (3, H, W) uint8 and ``data_samples``
        (``PanopticDataSample`` with the training targets), one per image.
    """
    from mmpdl.registry import DATASETS
    from mmpdl.testing.tiny_training import make_tiny_builtin_data
    if write_tiny_data:
        make_tiny_builtin_data(data_root)
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset_cfg.data_root = data_root
    dataset = DATASETS.build(dataset_cfg)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return [dataset[i % len(dataset)] for i in range(num_images)]


def initial_state(cfg: Config, seed: int = 0) -> Dict[str, torch.Tensor]:
    """The seeded, initialised weights and buffers of ``cfg.model``."""
    from mmengine.model import revert_sync_batchnorm

    from mmpdl.registry import MODELS
    torch.manual_seed(seed)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # one INFO line per initialised tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def build_model(cfg: Config, state: dict, dtype: torch.dtype):
    """``cfg.model`` with ``state`` loaded, in train mode, computing in
    ``dtype`` (float64: the backbone casts the data preprocessor's float32
    images, so that what is compared is free of float32 rounding)."""
    from mmpdl.registry import MODELS
    model = MODELS.build(cfg.model)
    model.load_state_dict(state)
    model.to(dtype).train()
    if dtype != torch.float32:
        model.backbone.register_forward_pre_hook(
            lambda module, args: tuple(a.to(dtype) for a in args))
    return model


def record_step(module, optim_wrapper, step: Callable[[], dict]) -> dict:
    """Run ``step`` (one training step); record the gradients the optimizer
    sees (after DDP's all-reduce), the parameters after the step and the
    buffers."""
    grads = {}
    named = list(module.named_parameters())

    def keep_grads(optimizer, args, kwargs):
        grads.update({n: p.grad.detach().clone() for n, p in named})

    handle = optim_wrapper.optimizer.register_step_pre_hook(keep_grads)
    log_vars = step()
    handle.remove()
    return dict(
        losses={
            k: float(v.detach())
            for k, v in log_vars.items()
        },
        grads=grads,
        params={
            n: p.detach().clone()
            for n, p in named
        },
        buffers={
            n: b.detach().clone()
            for n, b in module.named_buffers()
        })


def _per_process_losses_step(model, data, optim_wrapper, world_size):
    """One step with BN over all images and the losses of each process's
    share averaged (the loss of P SyncBN processes, without processes)."""
    from mmpdl.models.utils.panoptic_targets import stack_panoptic_targets
    with optim_wrapper.optim_context(model):
        data = model.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        outputs = model._forward(inputs)
        share = len(samples) // world_size
        ignore_index = model._ignore_index(samples)
        per_process = []
        for rank in range(world_size):
            part = slice(rank * share, (rank + 1) * share)
            targets = stack_panoptic_targets(samples[part], inputs.shape[2:],
                                             ignore_index)
            per_process.append(
                model.decode_head.loss_by_feat(
                    {
                        k: v[part]
                        for k, v in outputs.items()
                    }, targets))
        losses = {
            k: sum(p[k] for p in per_process) / world_size
            for k in per_process[0]
        }
    parsed, log_vars = model.parse_losses(losses)
    optim_wrapper.update_params(parsed)
    return log_vars


# ``union``: the model's own train_step on all images; ``per_process_losses``:
# the same forward (BN over all images), each loss computed on every
# process's share and the values averaged, as P SyncBN processes compute.
REFERENCES = ('per_process_losses', 'union')


def single_process_step(cfg: Config,
                        state: dict,
                        images: List[dict],
                        world_size: int,
                        reference: str,
                        dtype: torch.dtype = torch.float32) -> dict:
    """One step of a one-process reference over all ``images`` (plain BN,
    no wrapper, no process group involved).

    Args:
        reference (str): ``'union'`` (the model's own ``train_step``) or
            ``'per_process_losses'`` (see the module doc).

    Returns:
        dict: ``losses`` (name -> float), ``grads``, ``params`` and
        ``buffers`` (name -> tensor).
    """
    from mmpdl.utils import replace_syncbn
    if reference not in REFERENCES:
        raise ValueError(f'single_process_step: reference must be one of '
                         f'{REFERENCES}, got {reference!r}')
    cfg = copy.deepcopy(cfg)
    replace_syncbn(cfg.model, 'BN')
    model = build_model(cfg, state, dtype)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = pseudo_collate(images)
    if reference == 'union':
        step = lambda: model.train_step(data, optim_wrapper)  # noqa
    else:
        step = lambda: _per_process_losses_step(  # noqa
            model, data, optim_wrapper, world_size)
    return record_step(model, optim_wrapper, step)


def distributed_step(cfg, state, images, dtype) -> dict:
    """One step of a process of an initialised group, wrapped as the
    Runner wraps the model from ``cfg.model_wrapper_cfg``."""
    from mmpdl.registry import MODEL_WRAPPERS
    model = build_model(cfg, state, dtype)
    wrapped = MODEL_WRAPPERS.build(
        cfg.model_wrapper_cfg, default_args=dict(module=model))
    optim_wrapper = build_optim_wrapper(wrapped, cfg.optim_wrapper)
    data = pseudo_collate(images)
    return record_step(model, optim_wrapper,
                       lambda: wrapped.train_step(data, optim_wrapper))
