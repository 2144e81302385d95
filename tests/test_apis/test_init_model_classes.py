"""init_model takes the head's class count from the checkpoint's classes
when the config leaves it to the dataset, with no data on the machine."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm

from mmpdl.apis import inference_model, init_model
from mmpdl.datasets import metainfo_from_categories
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import ROOT

BASES = [
    osp.join(ROOT, 'configs', '_base_', 'models',
             'panoptic_deeplab_r18_small.py'),
    osp.join(ROOT, 'configs', '_base_', 'datasets', 'custom_panoptic.py')
]
CATEGORIES = [
    dict(id=1, name='ground', isthing=0),
    dict(id=2, name='sky', isthing=0),
    dict(id=7, name='box', isthing=1),
    dict(id=9, name='ball', isthing=1),
]


def _custom_config(tmp_path):
    """A config for own data whose annotation files are not here."""
    path = tmp_path / 'custom.py'
    path.write_text(f'_base_ = {BASES!r}\n'
                    f"data_root = '{tmp_path / 'absent'}/'\n"
                    'train_dataloader = dict(dataset=dict(data_root='
                    'data_root))\n'
                    'val_dataloader = dict(dataset=dict(data_root='
                    'data_root))\n'
                    'test_dataloader = val_dataloader\n')
    return str(path)


@pytest.fixture
def four_class_checkpoint(tmp_path):
    register_all_modules()
    model = Config.fromfile(BASES[0]).model
    model.decode_head.num_classes = 4
    torch.manual_seed(0)
    net = revert_sync_batchnorm(MODELS.build(model))
    path = str(tmp_path / 'four.pth')
    meta = dict(dataset_meta=metainfo_from_categories(CATEGORIES))
    torch.save(dict(state_dict=net.state_dict(), meta=meta), path)
    return path


def test_num_classes_none_takes_the_checkpoint_classes(tmp_path,
                                                       four_class_checkpoint):
    config = _custom_config(tmp_path)
    model = init_model(config, four_class_checkpoint)
    assert model.decode_head.num_classes == 4
    assert model.dataset_meta['classes'] == ('ground', 'sky', 'box', 'ball')
    result = inference_model(model, np.zeros((32, 48, 3), np.uint8))
    assert result.seg_logits.data.shape == (4, 32, 48)


def test_explicit_count_other_than_the_checkpoint_is_named(
        tmp_path, four_class_checkpoint):
    config = _custom_config(tmp_path)
    with pytest.raises(ValueError) as error:
        init_model(
            config,
            four_class_checkpoint,
            cfg_options={'model.decode_head.num_classes': 19})
    assert str(error.value).startswith(
        'model.decode_head.num_classes=19 but the checkpoint '
        f"{four_class_checkpoint!r} (meta['dataset_meta']) has 4 classes "
        "('ground', 'sky', 'box', 'ball'). Set "
        'model.decode_head.num_classes=4')
