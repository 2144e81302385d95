"""The quickstart config's poly schedule ends at its train_cfg.max_iters,
also when only max_iters is overridden."""

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmpdl.utils import load_config
from repo import QUICKSTART


class _Linear(BaseModel):
    """One weight; the loss is its square (enough to step an optimizer)."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))

    def forward(self, inputs, data_samples=None, mode='loss'):
        return dict(loss=(self.weight * inputs).pow(2).mean())


class _LrRecorder(Hook):
    """Records the LR used at each training iteration."""
    priority = 'LOWEST'

    def __init__(self):
        self.lrs = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.lrs.append(runner.optim_wrapper.get_lr()['lr'][0])


@pytest.mark.parametrize('max_iters', [10, 25])
def test_overriding_max_iters_alone_moves_the_poly_schedule(
        tmp_path, max_iters):
    cfg = load_config(QUICKSTART, {'train_cfg.max_iters': max_iters})
    recorder = _LrRecorder()
    runner = Runner(
        model=_Linear(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[torch.ones(1)] * 4,
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=1),
        optim_wrapper=cfg.optim_wrapper,
        param_scheduler=cfg.param_scheduler,
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=None, logger=None),
        custom_hooks=[recorder],
        default_scope='mmengine')
    runner.train()
    base_lr = cfg.optim_wrapper.optimizer.lr
    # mmengine's PolyLR (eta_min 0): lr_t = base * (1 - t / T) ** power
    # with T = end - begin - 1, so the last of max_iters updates uses lr 0
    # exactly when end == max_iters
    last = max_iters - 1
    expected = [base_lr * (1 - t / last)**0.9 for t in range(max_iters)]
    assert recorder.lrs == pytest.approx(expected, rel=1e-6, abs=1e-12)
