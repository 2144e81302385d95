"""Atomic checkpoint writing and resumable-checkpoint discovery."""
import os

import pytest
import torch

from mmpdl.utils import (atomic_write_bytes, find_resumable_checkpoint,
                         is_complete_checkpoint)


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / 'sub' / 'a.bin'
    atomic_write_bytes(b'first', target)
    atomic_write_bytes(b'second', target)
    assert target.read_bytes() == b'second'
    assert os.listdir(target.parent) == ['a.bin']


def test_failed_write_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / 'a.bin'
    atomic_write_bytes(b'old', target)

    def boom(src, dst):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(OSError, match='disk full'):
        atomic_write_bytes(b'new', target)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['a.bin']


def _save(path, value):
    torch.save({'state_dict': {'w': torch.tensor([value])}}, path)


def test_find_resumable_skips_truncated_files(tmp_path):
    _save(tmp_path / 'iter_3.pth', 3.0)
    _save(tmp_path / 'iter_6.pth', 6.0)
    data = (tmp_path / 'iter_6.pth').read_bytes()
    (tmp_path / 'iter_6.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_6.pth'))
    assert not is_complete_checkpoint(str(tmp_path / 'iter_6.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path /
                                                           'iter_3.pth')


def test_find_resumable_prefers_last_checkpoint_pointer(tmp_path):
    _save(tmp_path / 'iter_3.pth', 3.0)
    _save(tmp_path / 'best_PQ_iter_2.pth', 2.0)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_3.pth'))
    assert find_resumable_checkpoint(str(tmp_path)).endswith('iter_3.pth')
    assert find_resumable_checkpoint(str(tmp_path / 'nothing')) is None
