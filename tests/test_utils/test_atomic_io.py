"""Atomic checkpoint writing and resumable-checkpoint discovery."""
import errno
import os
import stat

import pytest
import torch

from mmpdl.utils import (atomic_io, atomic_write_bytes,
                         find_resumable_checkpoint, is_complete_checkpoint,
                         remove_stale_temp_files)


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


def test_find_resumable_takes_newest_whatever_the_pointer_says(tmp_path):
    _save(tmp_path / 'iter_3.pth', 3.0)
    _save(tmp_path / 'iter_6.pth', 6.0)
    _save(tmp_path / 'best_PQ_iter_9.pth', 9.0)  # no optimizer: never
    (tmp_path / '.tmp-iter_12.pth.abcd1234').write_bytes(b'partial')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_3.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path /
                                                           'iter_6.pth')
    assert find_resumable_checkpoint(str(tmp_path / 'nothing')) is None


def test_find_resumable_follows_pointer_out_of_work_dir(tmp_path):
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    _save(tmp_path / 'iter_3.pth', 3.0)
    _save(out_dir / 'iter_6.pth', 6.0)
    (tmp_path / 'last_checkpoint').write_text(str(out_dir / 'iter_6.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == str(out_dir /
                                                           'iter_6.pth')


def test_remove_stale_temp_files(tmp_path):
    (tmp_path / '.tmp-iter_4.pth.0a1b2c3d').write_bytes(b'x' * 7)
    (tmp_path / '.tmp-last_checkpoint.ffffffff').write_bytes(b'')
    _save(tmp_path / 'iter_2.pth', 2.0)
    removed = remove_stale_temp_files(str(tmp_path))
    assert removed == [(str(tmp_path / '.tmp-iter_4.pth.0a1b2c3d'), 7),
                       (str(tmp_path / '.tmp-last_checkpoint.ffffffff'), 0)]
    assert os.listdir(tmp_path) == ['iter_2.pth']


@pytest.mark.parametrize('umask,mode', [(0o022, 0o644), (0o077, 0o600),
                                        (0o002, 0o664)])
def test_files_get_the_umask_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        atomic_write_bytes(b'data', tmp_path / 'a.pth')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'a.pth').st_mode) == mode


def _write_to_dev_full(fd, data):
    """Write as a full disk does: the kernel's /dev/full answers ENOSPC."""
    with open('/dev/full', 'wb', buffering=0) as full:
        full.write(data)


@pytest.mark.skipif(not os.path.exists('/dev/full'), reason='no /dev/full')
def test_full_disk_names_path_and_bytes(tmp_path, monkeypatch):
    target = tmp_path / 'iter_8.pth'
    atomic_write_bytes(b'old', target)
    monkeypatch.setattr(atomic_io, '_write_all', _write_to_dev_full)
    with pytest.raises(OSError) as err:
        atomic_write_bytes(b'x' * 12345, target)
    assert err.value.errno == errno.ENOSPC
    message = str(err.value)
    assert str(target) in message and 'needs 12345 bytes' in message
    assert 'bytes are free there' in message
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['iter_8.pth']
