"""The configs' checkpoint hook writes the new checkpoint and the
``last_checkpoint`` pointer before it deletes an old checkpoint."""
import os
import os.path as osp

import torch
import torch.nn as nn
from mmengine import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmpdl.utils import register_all_modules

SCHEDULE = 'configs/_base_/schedules/schedule_90k_adam_poly.py'


class _LinearModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, y, mode='tensor'):
        return dict(loss=((self.linear(x) - y)**2).mean())


class _Ones(Dataset):

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return dict(x=torch.ones(2), y=torch.ones(1))


def _file_events(monkeypatch):
    """Record renames onto and deletions of files, in order."""
    events = []
    replace, remove = os.replace, os.remove

    def recording_replace(src, dst):
        replace(src, dst)
        events.append(('write', osp.basename(dst)))

    def recording_remove(path):
        remove(path)
        events.append(('delete', osp.basename(path)))

    monkeypatch.setattr(os, 'replace', recording_replace)
    monkeypatch.setattr(os, 'remove', recording_remove)
    return events


def _runner(work_dir, **hook_args):
    register_all_modules()
    hook = Config.fromfile(SCHEDULE).default_hooks.checkpoint
    settings = dict(interval=1, save_best=None)
    settings.update(hook_args)
    hook.update(settings)
    return Runner(
        model=_LinearModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Ones(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=3),
        default_hooks=dict(checkpoint=hook),
        default_scope='mmpdl')


def test_old_checkpoint_deleted_after_new_one_and_pointer(
        tmp_path, monkeypatch):
    runner = _runner(tmp_path, max_keep_ckpts=1)
    events = _file_events(monkeypatch)
    runner.train()
    assert events == [
        ('write', 'iter_1.pth'),
        ('write', 'last_checkpoint'),
        ('write', 'iter_2.pth'),
        ('write', 'last_checkpoint'),
        ('delete', 'iter_1.pth'),
        ('write', 'iter_3.pth'),
        ('write', 'last_checkpoint'),
        ('delete', 'iter_2.pth'),
    ]
    assert sorted(
        os.listdir(tmp_path))[-2:] == ['iter_3.pth', 'last_checkpoint']
    pointer = (tmp_path / 'last_checkpoint').read_text()
    assert pointer == str(tmp_path / 'iter_3.pth')
    kept = torch.load(tmp_path / 'iter_3.pth')['message_hub']
    assert kept['runtime_info']['keep_ckpt_ids'] == [3]


def test_previous_best_deleted_after_new_best(tmp_path, monkeypatch):
    runner = _runner(tmp_path, max_keep_ckpts=2, save_best='PQ')
    runner.train()  # no validation: the best checkpoint is saved by hand
    hook = next(h for h in runner.hooks if 'Checkpoint' in type(h).__name__)
    hook._save_best_checkpoint(runner, {'PQ': 1.0})
    events = _file_events(monkeypatch)
    runner.train_loop._iter = 4
    hook._save_best_checkpoint(runner, {'PQ': 2.0})
    assert events[0] == ('write', 'best_PQ_iter_4.pth')
    assert events.index(('delete', 'best_PQ_iter_3.pth')) > 0
