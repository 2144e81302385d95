"""A few training iterations of any config on the built-in dataset (tests).

The built-in dataset (``make_synthetic_cityscapes``) has Cityscapes' layout,
so every Cityscapes config trains on it once its data root, crop, batch and
schedule are made tiny; nothing is downloaded (the backbone's ImageNet
``init_cfg`` is dropped) and nothing is validated.
"""
from typing import Dict, List, Sequence

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmpdl.datasets import fill_dataset_meta, make_synthetic_cityscapes


def make_tiny_builtin_data(root: str) -> str:
    """Write 2 train + 1 val images of 64x128 of the built-in dataset.

    Returns:
        str: ``root``.
    """
    make_synthetic_cityscapes(root, 2, 1, size=(64, 128), seed=1)
    return root


def tiny_training_config(cfg: Config,
                         data_root: str,
                         work_dir: str,
                         max_iters: int = 2,
                         crop_size: Sequence[int] = (65, 129),
                         batch_size: int = 2) -> Config:
    """A copy of ``cfg`` that trains ``max_iters`` iterations on CPU.

    Args:
        cfg (Config): A training config with a Cityscapes-format
            ``train_dataloader`` whose pipeline has a ``PanopticRandomCrop``.
        data_root (str): Root of the built-in dataset.
        work_dir (str): Where the run writes its logs.
        max_iters (int): Training iterations.
        crop_size (Sequence[int]): (H, W) of the training crops.
        batch_size (int): Images per iteration.

    Returns:
        Config: The changed copy (no validation, no test, no pretrained
        backbone weights, one worker-less loader).
    """
    cfg = cfg.copy()
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=0)
    cfg.model.backbone.init_cfg = None
    loader = cfg.train_dataloader
    loader.update(
        batch_size=batch_size, num_workers=0, persistent_workers=False)
    loader.dataset.data_root = data_root
    crops = [
        t for t in loader.dataset.pipeline if t['type'] == 'PanopticRandomCrop'
    ]
    if len(crops) != 1:
        raise ValueError('tiny_training_config: the training pipeline needs '
                         'exactly one PanopticRandomCrop, found '
                         f'{len(crops)}')
    crops[0]['crop_size'] = tuple(crop_size)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=max_iters + 1)
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks = []
    fill_dataset_meta(cfg)  # as tools/train.py does
    return cfg


class _Recorder(Hook):
    """Keeps the weights at the start and each iteration's losses."""

    def __init__(self):
        self.losses: List[Dict[str, float]] = []
        self.before: Dict[str, torch.Tensor] = {}

    def before_train(self, runner) -> None:
        self.before = {
            k: v.detach().clone()
            for k, v in runner.model.state_dict().items()
        }

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        self.losses.append({k: float(v.detach()) for k, v in outputs.items()})


def train_tiny(cfg: Config) -> Dict[str, object]:
    """Run the training of a :func:`tiny_training_config` config.

    Returns:
        dict: ``losses`` (one ``{name: float}`` per iteration, as logged),
        ``before`` and ``after`` (the model's state dict when training
        starts, after the weights are initialised, and after the last
        iteration: name -> CPU tensor), ``model`` (the trained model).
    """
    runner = Runner.from_cfg(cfg)
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()
    after = {k: v.detach() for k, v in runner.model.state_dict().items()}
    return dict(
        losses=recorder.losses,
        before=recorder.before,
        after=after,
        model=runner.model)
