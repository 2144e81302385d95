"""The configs' checkpoint hook writes the new checkpoint and the
``last_checkpoint`` pointer before it deletes an old checkpoint, and its
``save_best`` may name a metric without the evaluator's prefix."""
import itertools
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmpdl.engine.hooks.checkpoint_hook import resolve_metric_key
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


_RUN_IDS = itertools.count()


def _runner(work_dir, resume_from=None, **hook_args):
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
        load_from=resume_from,
        resume=resume_from is not None,
        default_scope='mmpdl',
        # runners made in the same second would share one message hub (and
        # one test's best checkpoint would reach the next)
        experiment_name=f'ckpt_hook_{next(_RUN_IDS)}')


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


# what the evaluators of a COCO-format config report (a few of the keys)
COCO_METRICS = {
    'panoptic/PQ': 40.0,
    'panoptic/PQ_th': 30.0,
    'semantic/mIoU': 50.0
}


def test_a_bare_metric_name_resolves_to_the_one_key_ending_with_it():
    assert resolve_metric_key('PQ', COCO_METRICS) == 'panoptic/PQ'
    assert resolve_metric_key('mIoU', COCO_METRICS) == 'semantic/mIoU'
    assert resolve_metric_key(
        'cityscapes_panoptic/PQ',
        {'cityscapes_panoptic/PQ': 1.0}) == 'cityscapes_panoptic/PQ'
    assert resolve_metric_key('PQ', {'PQ': 1.0, 'a/PQ': 2.0}) == 'PQ'


def test_no_or_several_matching_keys_are_errors_listing_them():
    with pytest.raises(ValueError) as none:
        resolve_metric_key('AP', COCO_METRICS)
    assert str(none.value) == (
        "save_best='AP' is not a reported metric; the evaluators report "
        "['panoptic/PQ', 'panoptic/PQ_th', 'semantic/mIoU']. Give one of "
        "these keys, or a bare name (e.g. 'PQ') that exactly one of them "
        "ends with after its '/'.")
    with pytest.raises(ValueError) as several:
        resolve_metric_key('PQ', {'panoptic/PQ': 1.0, 'other/PQ': 2.0})
    assert str(several.value) == (
        "save_best='PQ' matches 2 reported metrics ['panoptic/PQ', "
        "'other/PQ']; give one of them in full, e.g. "
        "default_hooks.checkpoint.save_best='panoptic/PQ'")
    # a full key is never matched by its last part only
    with pytest.raises(ValueError, match='not a reported metric'):
        resolve_metric_key('panoptic/AP', COCO_METRICS)


def _hook(runner):
    return next(h for h in runner.hooks if 'Checkpoint' in type(h).__name__)


def _best_files(work_dir):
    return sorted(f for f in os.listdir(work_dir) if f.startswith('best_'))


@pytest.mark.parametrize('save_best', ['PQ', ['PQ', 'mIoU']])
def test_best_checkpoint_by_bare_name_survives_resume(tmp_path, save_best):
    """The best checkpoint is named after the full key; a resumed run knows
    the best score and file of the interrupted one: a worse score keeps
    that file, a better one replaces it."""
    runner = _runner(tmp_path, save_best=save_best, rule=None)
    runner.train()
    _hook(runner)._save_best_checkpoint(runner, COCO_METRICS)
    full = ['panoptic_PQ'
            ] if save_best == 'PQ' else ['panoptic_PQ', 'semantic_mIoU']
    assert _best_files(tmp_path) == [f'best_{k}_iter_3.pth' for k in full]
    # iter_3.pth was saved again with the best state: resume from it
    resumed = _runner(
        tmp_path,
        resume_from=str(tmp_path / 'iter_3.pth'),
        save_best=save_best,
        rule=None)
    resumed.train()  # max_iters 3: resumes, trains nothing
    hook = _hook(resumed)
    resumed.train_loop._iter = 4
    hook._save_best_checkpoint(resumed, {
        k: v - 1
        for k, v in COCO_METRICS.items()
    })
    assert _best_files(tmp_path) == [f'best_{k}_iter_3.pth' for k in full]
    resumed.train_loop._iter = 5
    hook._save_best_checkpoint(resumed, {
        k: v + 1
        for k, v in COCO_METRICS.items()
    })
    assert _best_files(tmp_path) == [f'best_{k}_iter_5.pth' for k in full]
    assert hook.key_indicators == (['panoptic/PQ'] if save_best == 'PQ' else
                                   ['panoptic/PQ', 'semantic/mIoU'])


def test_schedule_keeps_the_cityscapes_best_checkpoint_name(tmp_path):
    """The base schedule's save_best='PQ' on Cityscapes' metrics gives the
    file name of the full key cityscapes_panoptic/PQ."""
    assert Config.fromfile(SCHEDULE).default_hooks.checkpoint.save_best == (
        'PQ')
    runner = _runner(tmp_path, save_best='PQ')
    runner.train()
    _hook(runner)._save_best_checkpoint(
        runner, {
            'cityscapes_panoptic/PQ': 60.0,
            'cityscapes_panoptic/PQ_th': 50.0,
            'cityscapes_instance/AP': 30.0
        })
    assert _best_files(tmp_path) == ['best_cityscapes_panoptic_PQ_iter_3.pth']
