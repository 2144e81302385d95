"""PanopticTTAModel against plain predictions of the same model."""
from pathlib import Path

import pytest
import torch
from mmengine import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import revert_sync_batchnorm

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART


@pytest.fixture(scope='module')
def setup(synthetic_cityscapes):
    register_all_modules()
    root = synthetic_cityscapes(1, 1, size=(48, 96), seed=2)
    cfg = Config.fromfile(QUICKSTART)
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    model.dataset_meta = dict(CITYSCAPES_META)
    img = next(Path(root).rglob('*_leftImg8bit.png'))
    return cfg, model, str(img)


def _tta(cfg, model, img, flips):
    flip_steps = [
        dict(type='RandomFlip', prob=p, direction='horizontal') for p in flips
    ]
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(
            type='TestTimeAug',
            transforms=[flip_steps, [dict(type='PackPanopticInputs')]])
    ])
    tta = MODELS.build(dict(type='PanopticTTAModel', module=model))
    data = pseudo_collate([pipeline(dict(img_path=img))])
    return tta.test_step(data)[0]


def _plain(cfg, model, img, flip=False):
    steps = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomFlip', prob=float(flip), direction='horizontal'),
        dict(type='PackPanopticInputs')
    ]
    data = pseudo_collate([Compose(steps)(dict(img_path=img))])
    with torch.no_grad():
        return model.test_step(data)[0]


def test_single_view_equals_plain_prediction(setup):
    cfg, model, img = setup
    tta = _tta(cfg, model, img, [0.0])
    plain = _plain(cfg, model, img)
    assert torch.equal(tta.pred_panoptic_seg.data,
                       plain.pred_panoptic_seg.data)
    torch.testing.assert_close(tta.pred_center.data, plain.pred_center.data)


def test_flip_averages_unflipped_views(setup):
    cfg, model, img = setup
    tta = _tta(cfg, model, img, [0.0, 1.0])
    plain = _plain(cfg, model, img)
    flipped = _plain(cfg, model, img, flip=True)
    # the segmentor already undoes the flip (maps and the dx sign)
    center = (plain.pred_center.data + flipped.pred_center.data) / 2
    offset = (plain.pred_offset.data + flipped.pred_offset.data) / 2
    torch.testing.assert_close(tta.pred_center.data, center)
    torch.testing.assert_close(tta.pred_offset.data, offset)
