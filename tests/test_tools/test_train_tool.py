"""tools/train.py: clear errors for bad paths, --amp and --resume wiring."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from repo import QUICKSTART, ROOT, load_script

train_tool = load_script('tools/train.py', 'mmpdl_train_tool')


def test_missing_config_names_the_path():
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/does_not_exist.py'],
        cwd=ROOT,
        capture_output=True,
        text=True)
    assert proc.returncode != 0
    assert "config file not found: 'configs/does_not_exist.py'" in proc.stderr


def _cfg(tmp_path):
    return Config(
        dict(
            work_dir=str(tmp_path),
            optim_wrapper=dict(
                type='OptimWrapper', optimizer=dict(type='Adam', lr=1))))


def test_resume_missing_checkpoint_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        train_tool.set_resume(_cfg(tmp_path), str(tmp_path / 'nope.pth'))


def test_resume_corrupt_checkpoint_is_refused(tmp_path):
    path = tmp_path / 'iter_2.pth'
    torch.save({'state_dict': {'w': torch.zeros(100)}}, path)
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(RuntimeError, match='truncated'):
        train_tool.set_resume(_cfg(tmp_path), str(path))


def test_resume_auto_picks_newest_complete(tmp_path):
    cfg = _cfg(tmp_path)
    train_tool.set_resume(cfg, 'auto')
    assert not cfg.get('resume', False)  # nothing there: from scratch
    torch.save({'state_dict': {}}, tmp_path / 'iter_2.pth')
    torch.save({'state_dict': {}}, tmp_path / 'iter_4.pth')
    (tmp_path / 'iter_6.pth').write_bytes(b'PK\x03\x04 half written')
    train_tool.set_resume(cfg, 'auto')
    assert cfg.resume is True
    assert cfg.load_from == str(tmp_path / 'iter_4.pth')


def test_amp_switches_optim_wrapper(tmp_path):
    cfg = _cfg(tmp_path)
    train_tool.set_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def test_cpu_distributed_setup_rewrites_config(monkeypatch):
    from mmpdl.utils import replace_syncbn, setup_cpu_distributed
    cfg = Config(
        dict(
            model=dict(
                backbone=dict(norm_cfg=dict(type='SyncBN')),
                head=[dict(norm_cfg=dict(type='SyncBN', momentum=0.01))])))
    assert setup_cpu_distributed(cfg, 'none') is False
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='torchrun'):
        setup_cpu_distributed(cfg, 'pytorch')
    assert replace_syncbn(cfg.model) == 2
    assert cfg.model.head[0].norm_cfg == dict(type='BN', momentum=0.01)


def test_more_processes_than_gpus_is_stopped_with_the_fix(monkeypatch):
    """torchrun --nproc_per_node 2 on a machine with one GPU: a message
    with both numbers and the two ways out, before mmengine's NCCL set-up
    fails with "invalid device ordinal"; as many processes as GPUs pass."""
    from mmpdl.utils import setup_cpu_distributed
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    with pytest.raises(RuntimeError) as error:
        setup_cpu_distributed(Config(dict(model=dict())), 'pytorch')
    assert str(error.value) == (
        '2 processes on this machine but 1 visible GPU(s): NCCL needs one '
        'GPU per process. Start at most 1 (`bash tools/dist_train.sh CONFIG '
        '1`), or run all of them on the CPU with `CUDA_VISIBLE_DEVICES=` '
        '(gloo; SyncBN becomes CPUSyncBN).')
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '1')
    assert setup_cpu_distributed(Config(dict(model=dict())),
                                 'pytorch') is False


def test_data_root_without_panoptic_json_names_path_and_fix(tmp_path):
    (tmp_path / 'gtFine').mkdir()
    options = [
        f'{loader}.dataset.data_root={tmp_path}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    proc = subprocess.run(
        [
            sys.executable, 'tools/train.py', QUICKSTART, '--work-dir',
            str(tmp_path / 'work'), '--cfg-options'
        ] + options,
        cwd=ROOT,
        capture_output=True,
        text=True)
    assert proc.returncode != 0
    expected = osp.join(str(tmp_path), 'gtFine', 'cityscapes_panoptic_train')
    assert expected in proc.stderr
    assert 'tools/dataset_converters/cityscapes.py' in proc.stderr
    # the CPU thread choice is printed first (tests/test_utils/
    # test_cpu_threads.py checks the numbers)
    if not torch.cuda.is_available():
        assert 'torch thread(s) per process' in proc.stdout
