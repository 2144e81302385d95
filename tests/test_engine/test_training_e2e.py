"""End-to-end training with tools/train.py on a tiny built-in dataset:
2 gloo processes and bit-exact resume (kills: test_kill_resume.py)."""
import glob
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm

from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART, ROOT, subprocess_env

pytestmark = pytest.mark.slow  # every test trains in subprocesses


@pytest.fixture(scope='module')
def data_root(synthetic_cityscapes):
    return synthetic_cityscapes(4, 2, size=(64, 128), seed=1)


def _options(data_root, max_iters, **extra):
    opts = {
        'train_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.data_root': data_root,
        'test_dataloader.dataset.data_root': data_root,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'train_dataloader.dataset.pipeline.3.crop_size': '(65,129)',
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': 100000,
        'param_scheduler.0.end': 8,
        'default_hooks.logger.interval': 1,
        'randomness.seed': 0,
    }
    opts.update(extra)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def _train(args, timeout=600):
    """tools/train.py on the CPU: bit-exact resume is a CPU guarantee
    (CUDA's bilinear-upsampling backward adds in any order)."""
    return subprocess.run(
        [sys.executable, 'tools/train.py', QUICKSTART] + args,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(cpu_only=True))


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _state_dict(path):
    return torch.load(path, map_location='cpu')['state_dict']


def test_two_gloo_processes_train_and_save(data_root, tmp_path):
    work = str(tmp_path / 'dist')
    cmd = [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
        '--master_port',
        str(_free_port()), 'tools/train.py', QUICKSTART, '--launcher',
        'pytorch', '--work-dir', work
    ] + _options(data_root, 2, **{'default_hooks.checkpoint.interval': 2})
    # gloo on CPUs (a machine with one GPU could not run two NCCL ranks)
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=subprocess_env(cpu_only=True))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'Distributed training: True' in log
    assert 'Iter(train) [2/2]' in log
    state = _state_dict(osp.join(work, 'iter_2.pth'))
    register_all_modules()
    cfg = Config.fromfile(QUICKSTART)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.load_state_dict(state, strict=True)  # raises on any mismatch


def _checkpoint(path):
    return torch.load(path, map_location='cpu')


@pytest.mark.parametrize('workers', [0, 2])
def test_resume_is_bit_exact(data_root, tmp_path, workers):
    """8 iterations straight == 4 + --resume + 4, bit for bit, with the
    quickstart's dropout and random resize/crop/flip on."""
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    extra = {
        'default_hooks.checkpoint.interval': 4,
        'train_dataloader.num_workers': workers,
        'randomness.deterministic': True,
    }
    proc = _train(['--work-dir', straight] + _options(data_root, 8, **extra))
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _train(['--work-dir', split] + _options(data_root, 4, **extra))
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the resumed run is not told the seed: it takes the checkpoint's
    extra['randomness.seed'] = None
    proc = _train(['--work-dir', split, '--resume'] +
                  _options(data_root, 8, **extra))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'resuming from ' + osp.join(split, 'iter_4.pth') in proc.stdout
    ours = _checkpoint(osp.join(split, 'iter_8.pth'))
    ref = _checkpoint(osp.join(straight, 'iter_8.pth'))
    assert ours['state_dict'].keys() == ref['state_dict'].keys()
    for key, value in ref['state_dict'].items():
        assert torch.equal(ours['state_dict'][key], value), key
    for key, value in ref['optimizer']['state'].items():
        for name, tensor in value.items():
            assert torch.equal(ours['optimizer']['state'][key][name],
                               tensor), (key, name)
