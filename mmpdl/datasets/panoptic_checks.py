"""Consistency checks of COCO-panoptic ground truth.

Two kinds of problem are found here: a panoptic JSON that is empty,
truncated or lacks a key that loading needs, and a PNG whose segment ids
disagree with the ``segments_info`` of its JSON entry (an id painted in the
PNG but not listed, or a listed segment without pixels). Both are errors:
loading them would silently turn labelled pixels into void.

The dataset raises on the first problem; ``tools/dataset_converters/
check_panoptic.py`` lists every problem of a dataset at once.
"""
import json
from typing import List, Sequence

import numpy as np

from mmpdl.structures.panoptic_ids import dense_segment_ids

CHECK_TOOL = 'tools/dataset_converters/check_panoptic.py'
PREPARE_TOOL = 'tools/dataset_converters/cityscapes.py'
#: how to make a Cityscapes panoptic JSON again, named in errors
CITYSCAPES_REMAKE = f'e.g. with `python {PREPARE_TOOL} <cityscapes root>`'
ANNOTATION_KEYS = ('image_id', 'file_name', 'segments_info')
SEGMENT_KEYS = ('id', 'category_id')
#: At most this many ids are named in one message.
MAX_NAMED = 10


def _named(values: Sequence[int]) -> str:
    shown = ', '.join(str(int(v)) for v in values[:MAX_NAMED])
    more = len(values) - MAX_NAMED
    return f'[{shown}{f", ... ({more} more)" if more > 0 else ""}]'


def read_panoptic_json(path: str, remake: str = CITYSCAPES_REMAKE) -> dict:
    """Read a panoptic JSON; a truncated or non-JSON file names ``path``.

    Args:
        path (str): The JSON file.
        remake (str): How to make the file again, named in the error.

    Returns:
        dict: The parsed file (not yet checked, see
        :func:`panoptic_json_problems`).
    """
    try:
        with open(path, encoding='utf-8') as f:
            ann = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f'{path!r} is not valid JSON ({err}): the file is truncated or '
            f'is not a panoptic annotation file. Make it again, {remake}.'
        ) from err
    return ann


def _annotation_problems(index: int, item) -> List[str]:
    """Missing keys of ``annotations[index]`` and its segments."""
    if not isinstance(item, dict):
        return [
            f'annotations[{index}] is a {type(item).__name__}, not a '
            'dict'
        ]
    missing = [key for key in ANNOTATION_KEYS if key not in item]
    name = item.get('image_id', f'annotations[{index}]')
    if missing:
        return [f'annotation of image {name!r} has no {missing}']
    if not isinstance(item['segments_info'], list):
        return [f'annotation of image {name!r}: segments_info is not a list']
    problems = []
    for j, seg in enumerate(item['segments_info']):
        absent = [key for key in SEGMENT_KEYS if key not in seg]
        if absent:
            problems.append(f'image {name!r}: segments_info[{j}] has no '
                            f'{absent}')
    return problems


def panoptic_json_problems(ann) -> List[str]:
    """Everything that makes a parsed panoptic JSON unusable.

    A usable file is a dict with an ``images`` list and a non-empty
    ``annotations`` list whose entries hold ``image_id``, ``file_name``
    and ``segments_info`` (a list of dicts with ``id`` and
    ``category_id``).

    Args:
        ann: The parsed JSON.

    Returns:
        list[str]: One line per problem; empty when the file is usable.
    """
    if not isinstance(ann, dict):
        return [
            f'the file holds a {type(ann).__name__}, not a dict with '
            '"images" and "annotations"'
        ]
    problems = [
        f'no "{key}" list (it has {sorted(ann)})'
        for key in ('images', 'annotations')
        if not isinstance(ann.get(key), list)
    ]
    if problems:
        return problems
    if not ann['annotations']:
        return ['"annotations" is empty: the file lists no image']
    for index, item in enumerate(ann['annotations']):
        problems.extend(_annotation_problems(index, item))
    return problems


def load_panoptic_json(path: str, remake: str = CITYSCAPES_REMAKE) -> dict:
    """Read and check a panoptic JSON; raise on the first problem.

    Args:
        path (str): The JSON file.
        remake (str): How to make the file again, named in the error.

    Returns:
        dict: The parsed file, with ``images`` and ``annotations``.
    """
    ann = read_panoptic_json(path, remake)
    problems = panoptic_json_problems(ann)
    if problems:
        more = (f' (and {len(problems) - 1} more problems: list them with '
                f'`python {CHECK_TOOL}`)' if len(problems) > 1 else '')
        raise ValueError(
            f'panoptic annotation file {path!r}: {problems[0]}{more}. Make '
            f'it again, {remake}.')
    return ann


def segment_id_problems(seg_map: np.ndarray, ids: np.ndarray) -> List[str]:
    """Disagreements between a PNG's segment ids and its ``segments_info``.

    Id 0 is void and needs no entry.

    Args:
        seg_map (np.ndarray): (H, W) int64 segment ids of the PNG.
        ids (np.ndarray): (S,) int64 ids listed in ``segments_info``.

    Returns:
        list[str]: Empty when every non-zero PNG id is listed and every
        listed id has pixels.
    """
    ids = np.asarray(ids, np.int64)
    present = dense_segment_ids(seg_map, with_index=False)[0]
    unlisted = np.setdiff1d(present[present != 0], ids)
    empty = np.setdiff1d(ids, present)
    problems = []
    if len(unlisted):
        problems.append(f'segment ids {_named(unlisted)} are in the PNG but '
                        'not in segments_info')
    if len(empty):
        problems.append(f'segments {_named(empty)} of segments_info have no '
                        'pixels in the PNG')
    return problems


def check_segment_ids(seg_map: np.ndarray, ids: np.ndarray, path: str) -> None:
    """Raise if a PNG and its ``segments_info`` disagree.

    Args:
        seg_map (np.ndarray): (H, W) int64 segment ids of the PNG.
        ids (np.ndarray): (S,) int64 ids listed in ``segments_info``.
        path (str): The PNG, named in the error.
    """
    problems = segment_id_problems(seg_map, ids)
    if problems:
        raise ValueError(
            f'panoptic PNG {path!r} disagrees with its JSON entry: '
            f'{"; ".join(problems)}. Fix the PNG or its segments_info in the '
            'JSON (or make both again with the converter that wrote them, '
            f'for Cityscapes `python {PREPARE_TOOL} <root>`); list every '
            f'such problem with `python {CHECK_TOOL} DATA_ROOT ANN_FILE`.')
