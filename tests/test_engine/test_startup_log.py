"""The validation summary line keeps the headline numbers; the configs'
hooks and metrics start without deprecation or "not set" warnings."""
import logging
import os.path as osp
import warnings
from types import SimpleNamespace

from mmengine import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.visualization import Visualizer

from mmpdl.registry import HOOKS, LOG_PROCESSORS, METRICS
from mmpdl.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(
    ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py')
HEADLINE = ('PQ', 'SQ', 'RQ', 'PQ_th', 'PQ_st', 'AP', 'AP50', 'mIoU')


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


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_hooks_and_metrics_start_without_warnings(tmp_path):
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    logger = MMLogger.get_instance('test_startup_log')
    records = _Records()
    logger.addHandler(records)
    hub = MessageHub.get_instance('test_startup_log_hooks')
    Visualizer.get_instance('test_startup_log_hooks')
    runner = SimpleNamespace(
        work_dir=str(tmp_path), logger=logger, message_hub=hub)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            for metric in cfg.val_evaluator:
                METRICS.build(metric)
            HOOKS.build(cfg.default_hooks.visualization)
            HOOKS.build(cfg.default_hooks.checkpoint).before_train(runner)
    finally:
        logger.removeHandler(records)
    texts = records.messages + [str(w.message) for w in caught]
    for unwanted in ('FileClient', 'The draw is False',
                     'The prefix is not set'):
        assert not [t for t in texts if unwanted in t], texts
