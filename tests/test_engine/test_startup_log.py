"""The validation summary line keeps the headline numbers; the configs'
hooks and metrics start without deprecation or "not set" warnings."""
import glob
import os.path as osp
import warnings
from types import SimpleNamespace

import torch
import torch.nn as nn
from mmengine import Config
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmpdl.registry import LOG_PROCESSORS, METRICS
from mmpdl.utils import register_all_modules
from repo import ROOT

CONFIG = osp.join(
    ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py')
HEADLINE = ('PQ', 'SQ', 'RQ', 'PQ_th', 'PQ_st', 'AP', 'AP50', 'bbox_AP',
            'mask_AP', 'mIoU')


def test_val_line_keeps_headline_numbers_and_tag_keeps_all():
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    processor = LOG_PROCESSORS.build(cfg.log_processor)
    hub = MessageHub.get_instance('test_startup_log_val')
    values = {
        'cityscapes_panoptic/PQ': 61.0,
        'cityscapes_panoptic/SQ': 81.0,
        'cityscapes_panoptic/RQ': 74.0,
        'cityscapes_panoptic/PQ_th': 54.0,
        'cityscapes_panoptic/PQ_st': 66.0,
        'cityscapes_panoptic/SQ_th': 80.0,
        'cityscapes_panoptic/PQ_road': 97.0,
        'cityscapes_instance/AP': 31.0,
        'cityscapes_instance/AP50': 55.0,
        'cityscapes_instance/AP_sem_x_ctr': 32.0,
        'cityscapes_instance/AP50_car': 70.0,
        'coco_instance/bbox_AP': 30.0,
        'coco_instance/mask_AP': 29.0,
        'coco_instance/mask_AP50': 51.0,
        'coco_instance/mask_AP_sem_x_ctr': 28.0,
        'coco_instance/bbox_AP_car': 40.0,
        'semantic/mIoU': 79.0,
        'semantic/aAcc': 95.0,
        'time': 0.5,
    }
    for key, value in values.items():
        hub.update_scalar(f'val/{key}', value)
    runner = SimpleNamespace(
        message_hub=hub, val_loop=SimpleNamespace(dataloader=[0] * 3))
    tag, line = processor.get_log_after_epoch(runner, 3, 'val')
    assert set(tag) == set(values)  # scalars.json / vis backends get all
    items = dict(item.split(': ') for item in line.split('  ')[1:] if item)
    assert line.startswith('Iter(val) [3/3]')
    assert sorted(items) == sorted(
        [key for key in values if key.split('/')[-1] in HEADLINE] + ['time'])


class _Linear(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, mode='tensor'):
        return dict(loss=self.linear(x).pow(2).mean())


def test_training_and_its_checkpoints_log_no_warnings(tmp_path):
    """A tiny Runner with the configs' hooks: two saved checkpoints, and
    the metrics and the visualization hook built, without a warning."""
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    hooks = cfg.default_hooks
    data = [dict(x=torch.ones(2))] * 4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for metric in cfg.val_evaluator:
            METRICS.build(metric)
        runner = Runner(
            model=_Linear(),
            work_dir=str(tmp_path),
            train_dataloader=dict(
                dataset=data,
                sampler=dict(type='InfiniteSampler'),
                batch_size=2,
                collate_fn=dict(type='default_collate')),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            train_cfg=dict(by_epoch=False, max_iters=2),
            default_hooks=dict(
                checkpoint=dict(hooks.checkpoint, interval=1, save_best=None),
                visualization=hooks.visualization,
                logger=dict(type='LoggerHook', interval=1)),
            visualizer=dict(type='Visualizer'),
            log_processor=cfg.log_processor,
            default_scope='mmpdl',
            # a Runner built in the same second as an earlier one of this
            # process would otherwise reuse that Runner's logger (and its
            # log file in another work dir): MMLogger instances are named
            # by the experiment name, which defaults to the timestamp
            experiment_name=f'startup_log_{tmp_path.name}')
        runner.train()
    assert (tmp_path / 'iter_2.pth').is_file()
    log = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    texts = [log] + [str(w.message) for w in caught]
    for unwanted in ('FileClient', 'HardDiskBackend', 'The draw is False',
                     'The prefix is not set'):
        assert not [t for t in texts if unwanted in t], unwanted
