"""A tiny mmengine Runner saves a checkpoint atomically and resumes from it
with torch's default ``weights_only=True`` loading."""
import os

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmpdl  # noqa: F401


class _LinearModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, y, mode='tensor'):
        out = self.linear(x)
        if mode == 'loss':
            return dict(loss=((out - y)**2).mean())
        return out


class _SumDataset(Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, idx):
        x = torch.randn(2, generator=torch.Generator().manual_seed(idx))
        return dict(x=x, y=x.sum(0, keepdim=True))


def _train(work_dir, max_iters, resume=False):
    torch.manual_seed(0)  # same initial weights in every run
    runner = Runner(
        model=_LinearModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_SumDataset(),
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
        param_scheduler=dict(type='PolyLR', power=0.9, end=8, by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook',
                interval=4,
                by_epoch=False,
                backend_args=dict(backend='atomic_local')),
            logger=dict(type='LoggerHook', interval=1)),
        resume=resume,
        randomness=dict(seed=0, deterministic=True),
        default_scope='mmengine',
        experiment_name=f'exp_{max_iters}_{resume}')
    runner.train()
    return runner


def test_runner_saves_and_resumes_with_weights_only(tmp_path):
    first = _train(tmp_path, 4)
    ckpt = tmp_path / 'iter_4.pth'
    assert ckpt.is_file()
    assert not [f for f in os.listdir(tmp_path) if f.startswith('.tmp-')]
    # torch.load defaults to weights_only=True: the message hub's
    # HistoryBuffers and numpy values must load through the allow-list
    state = torch.load(ckpt)
    assert state['meta']['iter'] == 4
    assert 'message_hub' in state
    resumed = _train(tmp_path, 8, resume=True)
    assert resumed.iter == 8
    straight = _train(tmp_path / 'straight', 8)
    for a, b in zip(resumed.model.parameters(), straight.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    del first
