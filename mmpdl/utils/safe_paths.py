"""Paths taken from received files stay inside the folder they belong to.

A dataset's JSON (``images[].file_name``, ``annotations[].file_name``) and a
checkpoint's runtime information (``best_ckpt``) name files that mmpdl
writes or deletes. Such a name is data from elsewhere: ``../`` or an
absolute path would reach any file the user can write, and a symlink
shipped inside a dataset would redirect a write. These helpers resolve a
name against its folder and raise, naming the file and the value, when the
result leaves the folder.
"""
import os
import os.path as osp
from typing import Union

PathLike = Union[str, os.PathLike]


class UnsafePathError(ValueError):
    """A path read from a file leaves the folder it must stay in."""


def _is_within(path: str, folder: str) -> bool:
    """Whether the (resolved) ``path`` is ``folder`` or below it."""
    return osp.commonpath([path, folder]) == folder


def check_relative_name(name: str, source: str, key: str) -> str:
    """A relative name (``a/b.png``) from a file, checked lexically.

    Args:
        name (str): The value, e.g. a JSON ``file_name``.
        source (str): The file it was read from, named in the error.
        key (str): Where in the file, e.g. ``'images[3].file_name'``.

    Returns:
        str: ``name`` normalised (``a/./b`` -> ``a/b``).

    Raises:
        UnsafePathError: ``name`` is not a non-empty string, is absolute,
            or has a ``..`` part.
    """
    if not isinstance(name, str) or not name or '\0' in name:
        raise UnsafePathError(
            f'{source}: {key} = {name!r} is not a file name; give a '
            'non-empty relative path such as "city/0001.png"')
    parts = name.replace('\\', '/').split('/')
    if osp.isabs(name) or '..' in parts:
        raise UnsafePathError(
            f'{source}: {key} = {name!r} leaves its folder (an absolute '
            'path or a ".." part); names in a dataset file must be relative '
            'paths below their folder, e.g. "city/0001.png"')
    return osp.normpath(name)


def check_inside(path: PathLike, folder: PathLike, source: str,
                 key: str) -> str:
    """``path`` (absolute or relative to the working folder), checked to
    resolve (symlinks followed) to ``folder`` or below it.

    Args:
        path (str): The value read from ``source``.
        folder (str): The folder it must stay in.
        source (str): The file it was read from, named in the error.
        key (str): Where in the file, e.g. ``"runtime_info['best_ckpt']"``.

    Returns:
        str: ``path`` as given (as a str).

    Raises:
        UnsafePathError: ``path`` resolves outside ``folder``.
    """
    real_folder = osp.realpath(folder)
    if not isinstance(path, (str, os.PathLike)) or not _is_within(
            osp.realpath(path), real_folder):
        raise UnsafePathError(
            f'{source}: {key} = {path!r} is outside {str(folder)!r}, the '
            'only folder mmpdl writes or deletes in for it; refusing to use '
            'it. A file made elsewhere can hold such a value: use one from '
            'a source you trust, or the run that made it, in its folder.')
    return os.fspath(path)


def join_inside(folder: PathLike, name: str, source: str, key: str) -> str:
    """``folder/name`` for writing, where ``name`` comes from a file.

    ``name`` must be relative without ``..`` (:func:`check_relative_name`)
    and the folder that will hold the file must resolve inside ``folder``,
    so a symlinked sub-folder cannot redirect the write. The file itself is
    written by an atomic rename, which replaces a symlink at its place
    instead of following it.

    Args:
        folder (str): The output folder.
        name (str): The relative name read from ``source``.
        source (str): The file ``name`` was read from, named in errors.
        key (str): Where in the file.

    Returns:
        str: The path to write.

    Raises:
        UnsafePathError: ``name`` leaves ``folder``.
    """
    path = osp.join(folder, check_relative_name(name, source, key))
    check_inside(osp.dirname(path), folder, source, key)
    return path
