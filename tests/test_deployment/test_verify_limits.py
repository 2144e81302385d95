"""The verification's acceptance rule for network outputs and near-ties."""
import torch
from mmengine.structures import InstanceData, PixelData

from mmpdl.deployment.verify import (MAX_ABS_DIFF, MAX_REL_DIFF,
                                     compare_samples, output_limit)
from mmpdl.structures import PanopticDataSample


def _sample(logits, offset_scale=1.0):
    """A data sample with (3, 4, 5) logits, a center map, offsets of
    magnitude ``offset_scale`` and the maps the logits give."""
    sample = PanopticDataSample()
    sample.seg_logits = PixelData(data=logits)
    sample.pred_center = PixelData(data=torch.full((1, 4, 5), 0.5))
    sample.pred_offset = PixelData(
        data=torch.linspace(-offset_scale, offset_scale, 40).view(2, 4, 5))
    sem = logits.argmax(0, keepdim=True)
    sample.pred_sem_seg = PixelData(data=sem)
    sample.pred_panoptic_seg = PixelData(data=sem * 1000)
    sample.pred_instances = InstanceData(
        instance_ids=torch.zeros(0, dtype=torch.long),
        labels=torch.zeros(0, dtype=torch.long))
    return sample


def _rows(expected, got):
    return {
        row['output'].split(' ')[0]: row
        for row in compare_samples(expected, got)
    }


def test_limit_is_absolute_for_small_and_relative_for_large_outputs():
    assert output_limit(0.5) == MAX_ABS_DIFF
    assert output_limit(10.0) == MAX_ABS_DIFF
    assert output_limit(200.0) == 200.0 * MAX_REL_DIFF


def test_large_offsets_are_judged_relative_to_their_magnitude():
    logits = torch.arange(60, dtype=torch.float32).view(3, 4, 5)
    expected = _sample(logits, offset_scale=100.0)
    close, far = _sample(logits, 100.0), _sample(logits, 100.0)
    close.pred_offset.data[0, 0, 0] += 5e-4  # 5e-6 relative: rounding
    far.pred_offset.data[0, 0, 0] += 2e-3  # 2e-5 relative: an error
    assert _rows(expected, close)['pred_offset']['ok']
    assert not _rows(expected, far)['pred_offset']['ok']
    small, small_off = _sample(logits), _sample(logits)
    small_off.pred_offset.data[0, 0, 0] += 2e-4
    assert not _rows(small, small_off)['pred_offset']['ok']


def test_a_flipped_pixel_passes_only_on_a_logit_near_tie():
    logits = torch.zeros(3, 4, 5)
    logits[0] = 1.0
    logits[1, 0, 0] = 1.0 - 5e-5  # a near-tie at (0, 0)
    logits[1, 3, 4] = 0.9  # a clear winner at (3, 4)
    expected = _sample(logits)
    for (y, x), ok in (((0, 0), True), ((3, 4), False)):
        got = _sample(logits)
        got.pred_sem_seg.data[0, y, x] = 1
        got.pred_panoptic_seg.data[0, y, x] = 1000
        rows = _rows(expected, got)
        assert rows['pred_sem_seg']['ok'] is ok
        assert rows['pred_panoptic_seg']['ok'] is ok
