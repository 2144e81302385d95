"""Kill-test harness: SIGKILL ``tools/train.py`` at chosen and random
moments, then ``--resume``.

A tiny model (tests/test_engine/kill_test_modules.py) trains with the
``_base_`` runtime and schedule (so with the configs' checkpoint hook),
saving every iteration. Renames and deletions are slowed down so that a
kill lands in the window it aims at. After every kill the newest complete
checkpoint on disk must exist (nothing was lost), and the next
``--resume`` must start from exactly that one and clean the temporary
files.
"""
import glob
import os
import os.path as osp
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from mmpdl.utils import is_complete_checkpoint
from repo import ROOT, subprocess_env

HERE = osp.dirname(osp.abspath(__file__))
CONFIG = f"""
_base_ = [
    '{ROOT}/configs/_base_/default_runtime.py',
    '{ROOT}/configs/_base_/schedules/schedule_90k_adam_poly.py'
]
custom_imports = dict(imports=['kill_test_modules'])
model = dict(type='KillTestModel')
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='KillTestDataset'),
    collate_fn=dict(type='default_collate'))
val_cfg = None
test_cfg = None
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = []
train_cfg = dict(max_iters=1000, val_interval=10**9)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, save_best=None))
randomness = dict(seed=0)
"""
PAUSE_S = 0.15
TIMEOUT_S = 120


def _iterations(work_dir):
    """Iterations of the complete ``iter_N.pth`` files in ``work_dir``."""
    found = []
    for path in glob.glob(osp.join(work_dir, 'iter_*.pth')):
        if is_complete_checkpoint(path):
            found.append(int(re.search(r'iter_(\d+)', path).group(1)))
    return sorted(found)


def _temporary(work_dir):
    return glob.glob(osp.join(work_dir, '.tmp-iter_*'))


def _start(config, work_dir, log, max_keep, max_iters=1000, pause=True):
    env = subprocess_env()
    env['PYTHONPATH'] = os.pathsep.join([HERE, env['PYTHONPATH']])
    if pause:
        env['KILL_TEST_PAUSE'] = str(PAUSE_S)
    cmd = [
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--resume', '--cfg-options',
        f'default_hooks.checkpoint.max_keep_ckpts={max_keep}',
        f'train_cfg.max_iters={max_iters}'
    ]
    with open(log, 'w') as out:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(condition, proc, log, what):
    deadline = time.time() + TIMEOUT_S
    while not condition():
        assert proc.poll() is None, open(log).read()[-3000:]
        assert time.time() < deadline, f'never reached {what}'
        time.sleep(0.005)


def _writing_after(work_dir, step):
    """Whether a checkpoint later than ``step`` is in its temporary file."""
    steps = [
        int(re.search(r'iter_(\d+)', path).group(1))
        for path in _temporary(work_dir)
    ]
    return any(s > step for s in steps)


def _kill_at(proc, moment, work_dir, max_keep, log):
    """Wait until this run saved a checkpoint, then for ``moment`` on a
    later one; SIGKILL ``proc`` and return the iterations left on disk."""
    before = _iterations(work_dir)
    armed_at = (max(before) if before else 0) + 1
    _wait_for(lambda: max(_iterations(work_dir), default=0) >= armed_at, proc,
              log, f'iteration {armed_at}')
    if moment == 'writing':  # a later checkpoint is in its temporary file
        _wait_for(lambda: _writing_after(work_dir, armed_at), proc, log,
                  moment)
    elif moment == 'renamed':  # new one in place, old one not deleted yet
        _wait_for(lambda: len(_iterations(work_dir)) > max_keep, proc, log,
                  moment)
    else:
        time.sleep(random.Random(armed_at).uniform(0, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return _iterations(work_dir)


def _resumed_from(log):
    match = re.search(r'--resume: resuming from (\S+)', open(log).read())
    return match.group(1) if match else None


SCENARIOS = [(1, 'writing'), (2, 'renamed'), (2, 'writing'), (1, 'random')]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, 'SIGKILL'), reason='no SIGKILL')
def test_killed_runs_resume_from_newest_complete_checkpoint(tmp_path):
    config = str(tmp_path / 'kill_test.py')
    with open(config, 'w') as f:
        f.write(CONFIG)
    work_dir = str(tmp_path / 'work')
    expected = None
    for run, (max_keep, moment) in enumerate(SCENARIOS):
        log = str(tmp_path / f'run{run}.log')
        proc = _start(config, work_dir, log, max_keep)
        try:
            left = _kill_at(proc, moment, work_dir, max_keep, log)
        finally:
            if proc.poll() is None:
                proc.kill()
        if expected is not None:
            assert _resumed_from(log) == expected, open(log).read()[-3000:]
        # a checkpoint existed before this kill: one must still exist
        assert left, f'{moment} kill (max_keep_ckpts={max_keep}) lost all'
        expected = osp.join(work_dir, f'iter_{max(left)}.pth')
    log = str(tmp_path / 'final.log')
    last = int(re.search(r'iter_(\d+)', expected).group(1))
    proc = _start(config, work_dir, log, 1, max_iters=last + 1, pause=False)
    assert proc.wait(timeout=TIMEOUT_S) == 0, open(log).read()[-3000:]
    text = open(log).read()
    assert _resumed_from(log) == expected
    assert f'resumed epoch: 0, iter: {last}' in text
    assert _iterations(work_dir) == [last + 1]
    assert not glob.glob(osp.join(work_dir, '.tmp-*'))
