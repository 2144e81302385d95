"""mmpdl.utils.load_config: inheritance, overrides, a clear missing-file
error."""
import os.path as osp

import pytest

from mmpdl.utils import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL = osp.join(
    ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-256x512.py')


def test_reads_inherited_config_and_applies_overrides():
    cfg = load_config(SMALL, {'train_cfg.max_iters': 7})
    assert cfg.default_scope == 'mmpdl'  # from _base_/default_runtime.py
    assert cfg.train_cfg.max_iters == 7
    assert load_config(SMALL).train_cfg.max_iters == 800


def test_missing_file_names_it_and_where_configs_live(tmp_path):
    missing = str(tmp_path / 'nope.py')
    with pytest.raises(FileNotFoundError) as err:
        load_config(missing)
    assert repr(missing) in str(err.value)
    assert 'configs/panoptic_deeplab/' in str(err.value)


def test_no_workers_turns_persistent_workers_off():
    cfg = load_config(SMALL, {'test_dataloader.num_workers': 0})
    assert cfg.test_dataloader.persistent_workers is False
    assert load_config(SMALL).test_dataloader.persistent_workers is True
