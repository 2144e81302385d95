"""tools/test.py: metrics, --out, --show-dir and --tta on a tiny built-in
dataset, and clear errors for a missing config or checkpoint."""
import glob
import os.path as osp

import mmengine
import pytest
import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm

from mmpdl.datasets import make_synthetic_cityscapes
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from .analysis_tool import ROOT, load_script

CONFIG = osp.join(
    ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-256x512.py')


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/test.py', 'mmpdl_test_tool')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('test_tool_cityscapes'))
    make_synthetic_cityscapes(root, 1, 2, size=(64, 128), seed=5)
    return root


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Random quickstart weights; a center-head bias of 0.5 makes heatmap
    peaks, so the predictions hold instances."""
    register_all_modules()
    torch.manual_seed(0)
    net = revert_sync_batchnorm(MODELS.build(Config.fromfile(CONFIG).model))
    net.decode_head.instance_head.center[1].bias.data.fill_(0.5)
    path = str(tmp_path_factory.mktemp('test_tool_ckpt') / 'random.pth')
    torch.save({'state_dict': net.state_dict(), 'meta': {}}, path)
    return path


def _args(data_root, checkpoint, work_dir, *extra):
    return [
        CONFIG, checkpoint, '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.num_workers=0'
    ]


def test_metrics_predictions_and_pictures(tool, data_root, checkpoint,
                                          tmp_path):
    out = tmp_path / 'preds.pkl'
    metrics = tool.main(
        _args(data_root, checkpoint, tmp_path / 'work', '--out', str(out),
              '--show-dir', str(tmp_path / 'vis')))
    for key in ('cityscapes_panoptic/PQ', 'cityscapes_panoptic/SQ',
                'cityscapes_panoptic/RQ', 'cityscapes_instance/AP',
                'cityscapes_instance/AP_sem_x_ctr', 'mIoU'):
        assert key in metrics, sorted(metrics)
    assert 0.0 <= metrics['cityscapes_panoptic/PQ'] <= 100.0
    predictions = mmengine.load(str(out))
    assert len(predictions) == 2
    assert tuple(
        predictions[0]['pred_panoptic_seg']['data'].shape[-2:]) == (64, 128)
    pictures = glob.glob(
        str(tmp_path / 'vis' / '**' / '*.png'), recursive=True)
    assert len(pictures) == 2, pictures


def test_tta(tool, data_root, checkpoint, tmp_path):
    metrics = tool.main(
        _args(data_root, checkpoint, tmp_path / 'work', '--tta'))
    assert 0.0 <= metrics['cityscapes_panoptic/PQ'] <= 100.0


def test_missing_config_and_checkpoint_are_named(tool, checkpoint, tmp_path,
                                                 capsys, monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', str(torch.get_num_threads()))
    with pytest.raises(FileNotFoundError, match='nope.py'):
        tool.main([str(tmp_path / 'nope.py'), checkpoint])
    # the CPU thread choice is made (and printed) before the config is read
    if not torch.cuda.is_available():
        assert 'torch thread(s) per process (OMP_NUM_THREADS)' in \
            capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        tool.main([CONFIG, str(tmp_path / 'absent.pth')])
