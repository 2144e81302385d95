"""Atomic checkpoint writing and safe discovery of the checkpoint to resume.

mmengine's local backend writes checkpoints in place, so a run killed while
saving leaves a truncated ``iter_N.pth`` that ``--resume`` then fails on.
``AtomicLocalBackend`` (registered as ``'atomic_local'``; mmpdl's
``PanopticCheckpointHook`` uses it by default) writes to a temporary file in
the same folder, flushes it to disk and renames it over the target, so a
checkpoint file either exists complete or not at all.

``save_png`` and ``save_json`` write result and dataset files the same way.
"""
import errno
import glob
import io
import json
import os
import os.path as osp
import re
import secrets
import shutil
import zipfile
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log
from PIL import Image

TMP_PREFIX = '.tmp-'
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def _open_temp_file(folder: str, basename: str) -> Tuple[int, str]:
    """Create ``folder/.tmp-<basename>.<random>`` exclusively with mode
    0666 minus the umask, as ``open()`` gives (``mkstemp`` gives 0600)."""
    while True:
        path = osp.join(folder,
                        f'{TMP_PREFIX}{basename}.{secrets.token_hex(4)}')
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                           0o666), path
        except FileExistsError:
            continue


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _disk_full_error(err: OSError, filepath: str, needed: int) -> OSError:
    """``err`` re-raised with the path and the bytes needed and free."""
    folder = osp.dirname(filepath)
    try:
        free = f'{shutil.disk_usage(folder).free} bytes are free there'
    except OSError:
        free = 'the free space could not be read'
    return OSError(
        err.errno, f'no space left to write {filepath}: it needs {needed} '
        f'bytes and {free}; free some space (or point work_dir to another '
        'disk) and resume', filepath)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically (temp file + rename).

    The temporary file ``.tmp-<name>.<random>`` lives in the same folder,
    is flushed to the disk, then renamed over ``filepath``; the file gets
    the mode of a newly created file (0666 minus the umask).

    Args:
        data (bytes): The content.
        filepath (str | Path): Destination; its folder is created if needed.

    Raises:
        OSError: ENOSPC/EDQUOT naming ``filepath`` and the bytes needed
            when the disk is full; the previous file is left as it was.
    """
    filepath = osp.abspath(str(filepath))
    folder = osp.dirname(filepath)
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = _open_temp_file(folder, osp.basename(filepath))
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_path, filepath)
    except BaseException as err:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        if isinstance(err, OSError) and err.errno in DISK_FULL_ERRNOS:
            raise _disk_full_error(err, filepath, len(data)) from err
        raise
    _fsync_folder(folder)


def save_png(array: np.ndarray, path: str) -> None:
    """Write an image array as a PNG, atomically (folder created).

    Args:
        array (np.ndarray): (H, W) uint8/uint16 or (H, W, 3) uint8.
        path (str): Destination ``.png``.
    """
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format='PNG')
    atomic_write_bytes(buffer.getvalue(), path)


def save_json(data: Union[dict, list], path: str) -> None:
    """Write ``data`` as JSON, atomically (folder created)."""
    atomic_write_bytes(json.dumps(data).encode('utf-8'), path)


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (where the OS supports it)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine ``LocalBackend`` whose ``put``/``put_text`` are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically."""
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        atomic_write_bytes(obj.encode(encoding), filepath)


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a readable torch zip checkpoint (not truncated).

    Args:
        path (str): A ``.pth`` file written by ``torch.save``.

    Returns:
        bool: True when the zip directory and every member's CRC check out.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def _iteration_of(path: str) -> int:
    match = re.search(r'(?:iter|epoch)_(\d+)\.pth$', path)
    return int(match.group(1)) if match else -1


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint in ``work_dir``, or None.

    Every ``iter_N.pth``/``epoch_N.pth`` in ``work_dir`` and the file named
    by ``last_checkpoint`` (which may live elsewhere, e.g. a hook's
    ``out_dir``) are candidates; the one with the highest N that is a
    complete torch checkpoint wins, whatever ``last_checkpoint`` says.
    Temporary files and ``best_*`` checkpoints (no optimizer state) are
    never considered.

    Args:
        work_dir (str): The run's work folder.

    Returns:
        str | None: Path of the checkpoint to resume from.
    """
    candidates = set(
        glob.glob(osp.join(work_dir, 'iter_*.pth')) +
        glob.glob(osp.join(work_dir, 'epoch_*.pth')))
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if _iteration_of(named) >= 0:
            candidates.add(named)
    for path in sorted(candidates, key=_iteration_of, reverse=True):
        if osp.isfile(path) and is_complete_checkpoint(path):
            return path
        print_log(f'skipping incomplete or missing checkpoint {path}')
    return None


def remove_stale_temp_files(folder: str) -> List[Tuple[str, int]]:
    """Delete the ``.tmp-*`` files a killed run left in ``folder``.

    Only call this when no process is writing into ``folder``.

    Args:
        folder (str): A work dir (or checkpoint dir).

    Returns:
        list[tuple[str, int]]: ``(path, size in bytes)`` of each removed
        file.
    """
    removed = []
    for path in sorted(glob.glob(osp.join(folder, TMP_PREFIX + '*'))):
        try:
            size = osp.getsize(path)
            os.remove(path)
        except FileNotFoundError:  # another process of the run removed it
            continue
        removed.append((path, size))
    return removed
