"""Checks of an unpacked dataset folder against the layout a config
expects, with the way to get each missing part (used by
``tools/dataset_converters/coco_panoptic.py`` and ``mapillary_vistas.py``).
"""
import os
import os.path as osp
from typing import List, NamedTuple


class Part(NamedTuple):
    """One file or folder a dataset needs.

    Attributes:
        path (str): Relative to the dataset root.
        is_dir (bool): A non-empty folder (else a file).
        how (str): How to get it (download URL, unzip command).
        optional (bool): Reported, but not counted as a problem.
    """
    path: str
    is_dir: bool
    how: str
    optional: bool = False


def part_missing(root: str, part: Part) -> str:
    """Why ``part`` is not usable under ``root`` ('' when it is)."""
    path = osp.join(root, part.path)
    if part.is_dir:
        if not osp.isdir(path):
            return 'folder is missing'
        if not os.listdir(path):
            return 'folder is empty'
        return ''
    return '' if osp.isfile(path) else 'file is missing'


def missing_parts(root: str, parts: List[Part]) -> List[str]:
    """One message per missing required part, optional ones prefixed with
    ``note:``; each names the path and how to get it.

    Args:
        root (str): The dataset root.
        parts (list[Part]): What the layout needs.

    Returns:
        list[str]: Empty when every part is there.
    """
    lines = []
    for part in parts:
        why = part_missing(root, part)
        if why:
            prefix = 'note: optional ' if part.optional else ''
            lines.append(f'{prefix}{osp.join(root, part.path)}: {why}; '
                         f'{part.how}')
    return lines


def report(root: str, parts: List[Part], name: str) -> int:
    """Print the missing parts; returns 1 when a required one is missing.

    Args:
        root (str): The dataset root.
        parts (list[Part]): What the layout needs.
        name (str): The dataset, for the summary line.
    """
    lines = missing_parts(root, parts)
    for line in lines:
        print(line)
    required = [line for line in lines if not line.startswith('note:')]
    if required:
        print(f'{name} under {root} is incomplete: {len(required)} missing '
              'part(s) listed above')
        return 1
    print(f'OK: {name} under {root} has every part the configs need')
    return 0
