"""Atomic checkpoint writing and safe discovery of the checkpoint to resume.

mmengine's local backend writes checkpoints in place, so a run killed while
saving leaves a truncated ``iter_N.pth`` that ``--resume`` then fails on.
``AtomicLocalBackend`` (registered as ``'atomic_local'``; the configs pass it
to ``CheckpointHook`` through ``backend_args``) writes to a temporary file in
the same folder, flushes it to disk and renames it over the target, so a
checkpoint file either exists complete or not at all.
"""
import glob
import os
import os.path as osp
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Optional, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log

TMP_PREFIX = '.tmp-'


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically (temp file + rename).

    Args:
        data (bytes): The content.
        filepath (str | Path): Destination; its folder is created if needed.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix=TMP_PREFIX + osp.basename(filepath) + '.', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


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

    ``last_checkpoint`` is trusted when the file it names is complete;
    otherwise (missing, truncated) the ``iter_*.pth``/``epoch_*.pth`` files
    are tried from the newest down. Temporary files are never considered.

    Args:
        work_dir (str): The run's work folder.

    Returns:
        str | None: Path of the checkpoint to resume from.
    """
    candidates = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named:
            candidates.append(named)
    found = glob.glob(osp.join(work_dir, 'iter_*.pth')) + glob.glob(
        osp.join(work_dir, 'epoch_*.pth'))
    candidates += sorted(found, key=_iteration_of, reverse=True)
    for path in candidates:
        if osp.isfile(path) and is_complete_checkpoint(path):
            return path
        print_log(f'skipping incomplete or missing checkpoint {path}')
    return None
