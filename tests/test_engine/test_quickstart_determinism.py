"""The quickstart config trains to the same weights on every run (its own
seed, data-loading workers included)."""
import glob
import os.path as osp
import subprocess
import sys

import pytest
import torch

from repo import QUICKSTART, ROOT, subprocess_env


@pytest.fixture(scope='module')
def data_root(synthetic_cityscapes):
    return synthetic_cityscapes(4, 1, size=(64, 128), seed=3)


def _train(data_root, work_dir, *extra):
    options = [
        f'{split}_dataloader.dataset.data_root={data_root}'
        for split in ('train', 'val', 'test')
    ] + [
        # two workers: their augmentations must be seeded too
        'train_dataloader.num_workers=2',
        'train_dataloader.persistent_workers=False',
        'train_dataloader.dataset.pipeline.3.crop_size=(65,129)',
        'train_cfg.max_iters=2',
        'train_cfg.val_interval=100',
        'custom_hooks=[]',
        *extra
    ]
    command = [
        sys.executable, 'tools/train.py', QUICKSTART, '--work-dir',
        str(work_dir), '--cfg-options', *options
    ]
    # a bare environment (a CPU guarantee: no GPU; the machine's packages
    # stay on PYTHONPATH)
    env = dict(
        PYTHONPATH=subprocess_env()['PYTHONPATH'],
        OMP_NUM_THREADS='1',
        PATH='/usr/bin:/bin',
        CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ckpt, = glob.glob(osp.join(str(work_dir), 'iter_2.pth'))
    return torch.load(ckpt, map_location='cpu')['state_dict']


@pytest.mark.slow
def test_same_weights_on_every_run(data_root, tmp_path):
    first = _train(data_root, tmp_path / 'a')
    second = _train(data_root, tmp_path / 'b')
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key
