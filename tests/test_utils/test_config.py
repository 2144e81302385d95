"""mmpdl.utils.load_config: inheritance, overrides, a clear missing-file
error."""

import pytest

from mmpdl.utils import load_config
from repo import QUICKSTART


def test_reads_inherited_config_and_applies_overrides():
    cfg = load_config(QUICKSTART, {'train_cfg.max_iters': 7})
    assert cfg.default_scope == 'mmpdl'  # from _base_/default_runtime.py
    assert cfg.train_cfg.max_iters == 7
    assert load_config(QUICKSTART).train_cfg.max_iters == 800


def test_missing_file_names_it_and_where_configs_live(tmp_path):
    missing = str(tmp_path / 'nope.py')
    with pytest.raises(FileNotFoundError) as err:
        load_config(missing)
    assert repr(missing) in str(err.value)
    assert 'configs/panoptic_deeplab/' in str(err.value)


def test_no_workers_turns_persistent_workers_off():
    cfg = load_config(QUICKSTART, {'test_dataloader.num_workers': 0})
    assert cfg.test_dataloader.persistent_workers is False
    assert load_config(QUICKSTART).test_dataloader.persistent_workers is True
