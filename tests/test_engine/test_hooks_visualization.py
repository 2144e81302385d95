"""PanopticVisualizationHook (--show-dir pictures) and
PanopticTrainVisualizationHook (input | GT | prediction every N iters)."""
import glob
import os.path as osp
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.runner import Runner

from mmpdl.apis import inference_model
from mmpdl.datasets import fill_dataset_meta
from mmpdl.engine.hooks import (PanopticTrainVisualizationHook,
                                PanopticVisualizationHook)
from mmpdl.registry import DATASETS, MODELS, VISUALIZERS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART


@pytest.fixture(scope='module')
def data_root(synthetic_cityscapes):
    return synthetic_cityscapes(2, 2, size=(64, 128), seed=2)


@pytest.fixture(scope='module')
def model():
    """Untrained quickstart model; a center-head bias of 0.5 puts heatmap
    peaks above the threshold, so predictions hold instances."""
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(QUICKSTART)
    net = revert_sync_batchnorm(MODELS.build(cfg.model))
    net.decode_head.instance_head.center[1].bias.data.fill_(0.5)
    net.cfg = cfg
    net.dataset_meta = DATASETS.get('CityscapesPanopticDataset').METAINFO
    return net


def _visualizer(name, save_dir, backends=('LocalVisBackend', )):
    vis = VISUALIZERS.build(
        dict(
            type='PanopticLocalVisualizer',
            name=name,
            save_dir=save_dir,
            vis_backends=[dict(type=b) for b in backends]))
    vis.dataset_meta = DATASETS.get('CityscapesPanopticDataset').METAINFO
    return vis


def test_show_dir_hook_writes_pictures(model, data_root, tmp_path):
    images = sorted(glob.glob(f'{data_root}/leftImg8bit/val/*/*.png'))
    outputs = inference_model(model.eval(), images)
    _visualizer('show_dir_vis', str(tmp_path / 'vis'))
    out_dir = tmp_path / 'show'
    hook = PanopticVisualizationHook(
        out_dir=str(out_dir), draw=True, interval=1)
    # A test run must not read runner.iter: in mmengine that builds the
    # train loop and its dataset, which may not be on disk at test time.
    hook.after_test_iter(SimpleNamespace(), 0, {}, outputs)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [osp.basename(p) for p in images]
    picture = mmcv.imread(str(out_dir / names[0]))
    # image | prediction | center | offset
    assert picture.shape == (64, 4 * 128, 3)
    np.testing.assert_array_equal(picture[:, :128], mmcv.imread(images[0]))
    sparse = PanopticVisualizationHook(
        out_dir=str(tmp_path / 'sparse'), draw=True, interval=2)
    sparse.after_val_iter(SimpleNamespace(iter=0), 0, {}, outputs)
    assert not osp.exists(tmp_path / 'sparse')  # batch 0 of every 2nd: no


def _train_batch(data_root):
    cfg = Config.fromfile(QUICKSTART)
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = data_root
    dataset_cfg.pipeline[3].crop_size = (65, 129)
    dataset_cfg.pipeline[4].prob = 1.0  # flipped: no un-flip may happen
    return pseudo_collate([DATASETS.build(dataset_cfg)[0]])


def test_train_hook_draws_input_gt_prediction(model, data_root, tmp_path):
    batch = _train_batch(data_root)
    vis = _visualizer('train_hook_vis', str(tmp_path))
    runner = SimpleNamespace(model=model.train(), iter=0, visualizer=vis)
    hook = PanopticTrainVisualizationHook(interval=2)
    stored = tmp_path / 'vis_data' / 'vis_image'
    hook.after_train_iter(runner, 0, batch)
    assert not stored.exists()  # iteration 1 of every 2nd: nothing
    runner.iter = 1
    hook.after_train_iter(runner, 1, batch)
    assert model.training
    picture = mmcv.imread(
        str(stored / 'train_prediction_2.png'), channel_order='rgb')
    assert picture.shape == (65, 3 * 129, 3)
    image = batch['inputs'][0].permute(1, 2, 0).numpy()[..., ::-1]
    np.testing.assert_array_equal(picture[:, :129], image)
    gt = batch['data_samples'][0].gt_panoptic_seg.data[0].numpy()
    np.testing.assert_array_equal(picture[:, 129:258],
                                  vis.draw_panoptic(image, gt))
    # the prediction, made here without the hook's data-sample plumbing
    with torch.no_grad():
        model.eval()
        data = model.data_preprocessor(
            dict(inputs=batch['inputs'], data_samples=None), False)
        pred = model.predict(data['inputs'])[0].pred_panoptic_seg
        model.train()
    pred = pred.data[0].numpy()
    assert len(np.unique(pred)) > 2
    np.testing.assert_array_equal(picture[:, 258:],
                                  vis.draw_panoptic(image, pred))
    with pytest.raises(ValueError, match='interval'):
        PanopticTrainVisualizationHook(interval=0)


def test_train_hook_in_a_runner(data_root, tmp_path):
    """4 training iterations with interval 2: pictures at 2 and 4 only."""
    cfg = Config.fromfile(QUICKSTART)
    cfg.work_dir = str(tmp_path)
    cfg.visualizer.name = 'runner_train_hook_vis'
    cfg.custom_hooks = [
        dict(type='PanopticTrainVisualizationHook', interval=2)
    ]
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.dataset.pipeline[3].crop_size = (65, 129)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.default_hooks.logger.interval = 1
    fill_dataset_meta(cfg)  # as tools/train.py does
    runner = Runner.from_cfg(cfg)
    runner.train()
    stored = sorted(
        glob.glob(osp.join(runner.log_dir, 'vis_data', 'vis_image', '*')))
    assert [osp.basename(p) for p in stored
            ] == ['train_prediction_2.png', 'train_prediction_4.png']
    assert mmcv.imread(stored[0]).shape == (65, 3 * 129, 3)


def test_train_hook_tensorboard(model, data_root, tmp_path):
    pytest.importorskip('tensorboard')
    vis = _visualizer('tensorboard_vis', str(tmp_path),
                      ('TensorboardVisBackend', ))
    runner = SimpleNamespace(model=model.train(), iter=0, visualizer=vis)
    PanopticTrainVisualizationHook(interval=1).after_train_iter(
        runner, 0, _train_batch(data_root))
    vis.close()
    events = glob.glob(
        f'{tmp_path}/vis_data/**/events.out.tfevents*', recursive=True)
    assert events and osp.getsize(events[0]) > 1000
