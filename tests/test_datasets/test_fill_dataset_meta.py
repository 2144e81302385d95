"""``fill_dataset_meta``: a head's ``num_classes=None`` becomes the class
count of the config's dataset (its annotation file's ``categories``,
Cityscapes' fixed metadata, or a checkpoint's metadata), the loss's
``ignore_index`` and the data preprocessor's ``seg_pad_val`` its ignore
index; an explicit value that differs is an error naming both numbers and
the fix."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmpdl.datasets import fill_dataset_meta
from mmpdl.datasets.config_meta import TEST_FIRST
from mmpdl.registry import MODELS
from mmpdl.structures import PanopticMetaInfo
from mmpdl.utils import register_all_modules
from repo import ROOT

CUSTOM = osp.join(ROOT, 'configs', '_base_', 'datasets', 'custom_panoptic.py')
CITYSCAPES = osp.join(ROOT, 'configs', '_base_', 'datasets',
                      'cityscapes_panoptic.py')
SMALL_MODEL = osp.join(ROOT, 'configs', '_base_', 'models',
                       'panoptic_deeplab_r18_small.py')
CATEGORIES = [
    dict(id=1, name='ground', isthing=0),
    dict(id=2, name='sky', isthing=0),
    dict(id=7, name='box', isthing=1),
]


def _config(dataset_base, data_root, num_classes=None):
    """A dataset base config with the small model; ``data_root`` for both
    train and val datasets."""
    cfg = Config.fromfile(dataset_base)
    cfg.model = Config.fromfile(SMALL_MODEL).model
    cfg.model.decode_head.num_classes = num_classes
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(data_root)
    return cfg


def _write_annotations(root, split, categories):
    path = root / 'annotations' / f'panoptic_{split}.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(dict(images=[], annotations=[], categories=categories)))
    return path


def test_none_becomes_the_count_of_the_annotation_file(tmp_path):
    _write_annotations(tmp_path, 'train', CATEGORIES)
    _write_annotations(tmp_path, 'val', CATEGORIES[:2])
    cfg = _config(CUSTOM, tmp_path)
    assert fill_dataset_meta(cfg).num_classes == 3  # the train dataset's
    assert cfg.model.decode_head.num_classes == 3
    assert cfg.model.decode_head.loss_semantic.ignore_index == 255
    assert cfg.model.data_preprocessor.seg_pad_val == 255
    register_all_modules()
    head = MODELS.build(cfg.model.decode_head)
    assert head.semantic_head['sem_seg'][1].out_channels == 3
    test_cfg = _config(CUSTOM, tmp_path)
    assert fill_dataset_meta(test_cfg, loaders=TEST_FIRST).num_classes == 2


def test_cityscapes_gives_its_19_classes_without_data(tmp_path):
    cfg = _config(CITYSCAPES, tmp_path / 'no_such_folder')
    assert fill_dataset_meta(cfg).num_classes == 19
    assert cfg.model.decode_head.num_classes == 19


def test_a_categories_file_gives_the_classes_of_an_unlabelled_split(tmp_path):
    path = _write_annotations(tmp_path, 'val', CATEGORIES)
    cfg = _config(CUSTOM, tmp_path)
    cfg.test_dataloader.dataset.ann_file = ''
    cfg.test_dataloader.dataset.categories_file = str(path)
    assert fill_dataset_meta(cfg, loaders=TEST_FIRST).num_classes == 3


def test_an_explicit_count_that_differs_names_both_numbers(tmp_path):
    path = _write_annotations(tmp_path, 'train', CATEGORIES)
    cfg = _config(CUSTOM, tmp_path, num_classes=19)
    with pytest.raises(ValueError) as error:
        fill_dataset_meta(cfg)
    assert str(error.value) == (
        'model.decode_head.num_classes=19 but train_dataloader.dataset '
        f"(CocoPanopticDataset, classes from {str(path)!r}) has 3 classes "
        "('ground', 'sky', 'box'). Set model.decode_head.num_classes=3, or "
        "leave it out (None) to take the dataset's value.")
    same = _config(CUSTOM, tmp_path, num_classes=3)
    assert fill_dataset_meta(same).num_classes == 3


def test_an_explicit_ignore_index_that_differs_names_both_numbers(tmp_path):
    """The loss's void label and the padding of the semantic targets are
    the dataset's ignore index: a config that writes another one stops."""
    path = _write_annotations(tmp_path, 'train', CATEGORIES)
    cfg = _config(CUSTOM, tmp_path)
    cfg.train_dataloader.dataset.metainfo = dict(ignore_index=65535)
    cfg.model.decode_head.loss_semantic.ignore_index = 255
    with pytest.raises(ValueError) as error:
        fill_dataset_meta(cfg)
    assert str(error.value) == (
        'model.decode_head.loss_semantic.ignore_index=255 but '
        'train_dataloader.dataset (CocoPanopticDataset, classes from '
        f"{str(path)!r}) has ignore_index 65535. Set "
        'model.decode_head.loss_semantic.ignore_index=65535, or leave it out '
        "(None) to take the dataset's value.")
    cfg.model.decode_head.loss_semantic.ignore_index = None
    cfg.model.data_preprocessor.seg_pad_val = 255
    with pytest.raises(ValueError, match='seg_pad_val=255 but .* 65535'):
        fill_dataset_meta(cfg)
    cfg.model.data_preprocessor.seg_pad_val = None
    fill_dataset_meta(cfg)
    assert cfg.model.decode_head.loss_semantic.ignore_index == 65535
    assert cfg.model.data_preprocessor.seg_pad_val == 65535


def _meta(classes):
    return PanopticMetaInfo(
        classes=classes, thing_ids=[0], label_ids=range(1,
                                                        len(classes) + 1))


def test_given_metadata_wins_and_is_checked(tmp_path):
    cfg = _config(CITYSCAPES, tmp_path)
    assert fill_dataset_meta(
        cfg, _meta(['a', 'b']), source='the checkpoint').num_classes == 2
    with pytest.raises(ValueError) as error:
        fill_dataset_meta(cfg, _meta(['a', 'b', 'c']), source='the checkpoint')
    assert str(error.value).startswith(
        'model.decode_head.num_classes=2 but the checkpoint has 3 classes')


def test_none_without_a_class_list_says_what_is_missing(tmp_path):
    cfg = _config(CUSTOM, tmp_path)
    with pytest.raises(ValueError) as no_file:
        fill_dataset_meta(cfg)
    missing = osp.join(str(tmp_path), 'annotations/panoptic_train.json')
    assert str(no_file.value) == (
        'model.decode_head.num_classes=None stands for the class count of '
        'the dataset, but none is known from train_dataloader.dataset '
        f'(CocoPanopticDataset), whose classes come from {missing!r}: that '
        'file does not exist (make it first, see docs/custom_dataset.md). '
        'Set model.decode_head.num_classes (e.g. --cfg-options '
        'model.decode_head.num_classes=19).')
    bare = Config(dict(model=Config.fromfile(SMALL_MODEL).model))
    with pytest.raises(
            ValueError,
            match='the config, which has no '
            'train_dataloader/val_dataloader/test_dataloader'):
        fill_dataset_meta(bare)


def test_an_explicit_count_needs_no_data_unless_checked(tmp_path):
    cfg = _config(CUSTOM, tmp_path, num_classes=5)
    cfg.model.decode_head.loss_semantic.ignore_index = 255
    cfg.model.data_preprocessor.seg_pad_val = 255
    assert fill_dataset_meta(cfg, check=False) is None
    assert cfg.model.decode_head.num_classes == 5
    # checked, but the file is not here: nothing to compare with
    assert fill_dataset_meta(cfg) is None


def test_building_a_head_with_none_says_how_it_is_filled():
    register_all_modules()
    head = Config.fromfile(SMALL_MODEL).model.decode_head
    with pytest.raises(ValueError) as error:
        MODELS.build(head)
    assert 'mmpdl.datasets.fill_dataset_meta(cfg)' in str(error.value)
    assert 'Runner.from_cfg(cfg)' in str(error.value)
