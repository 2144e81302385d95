"""PanopticDeepLabPostProcessor: registered, reads the dataset's thing ids,
label divisor and ignore index from the sample's ``panoptic_meta`` (else
the model's dataset_meta) and fills the data sample."""
import pytest
import torch

from mmpdl.registry import MODELS
from mmpdl.structures import PanopticDataSample, PanopticMetaInfo
from mmpdl.utils import register_all_modules


def _raw():
    """8x8, two classes: class 1 on the left half, one center at (3, 1),
    offsets pointing every pixel to it."""
    logits = torch.zeros(2, 8, 8)
    logits[1, :, :4] = 5.0
    logits[0, :, 4:] = 5.0
    center = torch.zeros(1, 8, 8)
    center[0, 3, 1] = 1.0
    ys, xs = torch.meshgrid(torch.arange(8.), torch.arange(8.), indexing='ij')
    offset = torch.stack([3 - ys, 1 - xs])
    return dict(
        sem_logits=logits,
        sem_probs=logits.softmax(0),
        center=center,
        offset=offset)


def _post():
    register_all_modules()
    return MODELS.build(
        dict(type='PanopticDeepLabPostProcessor', stuff_area=1))


def test_thing_ids_of_the_sample_make_instances():
    meta = PanopticMetaInfo(
        classes=('a', 'b'),
        thing_ids=[1],
        label_ids=[1, 2],
        label_divisor=100,
        ignore_index=9)
    sample = PanopticDataSample(metainfo=dict(panoptic_meta=meta))
    out = _post().predict(_raw(), sample)
    pan = out.pred_panoptic_seg.data[0]
    # class 1 is a thing: one instance 1 * 100 + 1; class 0 stuff: 0
    assert pan[:, :4].eq(101).all() and pan[:, 4:].eq(0).all()
    assert out.pred_instances.labels.tolist() == [1]
    assert out.pred_sem_seg.data[0, 0].tolist() == [1] * 4 + [0] * 4


def test_model_dataset_meta_is_the_fallback():
    meta = dict(
        classes=('a', 'b'),
        thing_ids=[],
        label_ids=[1, 2],
        label_divisor=1000,
        ignore_index=255)
    out = _post().predict(_raw(), PanopticDataSample(), meta)
    pan = out.pred_panoptic_seg.data[0]
    # no thing class: class 1 is stuff 1 * 1000, no instance
    assert pan[:, :4].eq(1000).all() and len(out.pred_instances) == 0


def test_missing_meta_and_wrong_class_count_are_named():
    with pytest.raises(
            KeyError, match='the post-processor needs the dataset.*metadata'):
        _post().predict(_raw(), PanopticDataSample())
    meta = dict(
        classes=('a', 'b', 'c'),
        thing_ids=[1],
        label_ids=[1, 2, 3],
        label_divisor=1000,
        ignore_index=255)
    with pytest.raises(
            ValueError, match='the network has 2 classes but .* lists 3'):
        _post().predict(_raw(), PanopticDataSample(), meta)
