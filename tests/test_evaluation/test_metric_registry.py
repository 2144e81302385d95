"""The evaluator of the dataset base config builds from the registries."""
from mmengine.evaluator import Evaluator

from mmpdl.utils import register_all_modules


def test_val_evaluator_config_builds_with_prefixes():
    register_all_modules()
    evaluator = Evaluator([
        dict(type='CityscapesPanopticMetric'),
        dict(type='CityscapesInstanceMetric'),
        dict(type='IoUMetric', iou_metrics=['mIoU'])
    ])
    names = [type(m).__name__ for m in evaluator.metrics]
    assert names == [
        'CityscapesPanopticMetric', 'CityscapesInstanceMetric', 'IoUMetric'
    ]
    assert [m.prefix for m in evaluator.metrics[:2]
            ] == ['cityscapes_panoptic', 'cityscapes_instance']
