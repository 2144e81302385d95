"""The ``categories`` of a COCO-panoptic JSON as a dataset's metainfo.

Train ids are the positions in the JSON's ``categories`` list: train id
``i`` is category ``categories[i]['id']`` (``label_ids``), so category ids
may have gaps and any order.
"""
import os.path as osp
from typing import List, Optional, Sequence

from mmpdl.structures import PanopticMetaInfo, default_palette
from .panoptic_checks import read_panoptic_json

CATEGORY_KEYS = ('id', 'name', 'isthing')


def _category_problem(index: int, cat) -> str:
    """What is wrong with ``categories[index]`` ('' if nothing)."""
    if not isinstance(cat, dict):
        return f'categories[{index}] is a {type(cat).__name__}, not a dict'
    missing = [key for key in CATEGORY_KEYS if key not in cat]
    if missing:
        return f'categories[{index}] ({cat}) has no {missing}'
    if not isinstance(cat['id'], int) or isinstance(cat['id'], bool):
        return f'categories[{index}] has a non-integer id {cat["id"]!r}'
    if cat['isthing'] not in (0, 1):
        return (f'categories[{index}] (id {cat["id"]}) has isthing '
                f'{cat["isthing"]!r}; it must be 0 (stuff) or 1 (thing)')
    color = cat.get('color')
    if color is not None and (len(color) != 3 or not all(0 <= int(c) <= 255
                                                         for c in color)):
        return (f'categories[{index}] (id {cat["id"]}) has color {color!r}; '
                'it must be [R, G, B] in 0-255')
    return ''


def categories_problems(categories) -> List[str]:
    """Everything that keeps a ``categories`` list from being a class list.

    Args:
        categories: The ``categories`` value of a COCO-panoptic JSON.

    Returns:
        list[str]: One line per problem; empty when usable.
    """
    if not isinstance(categories, list) or not categories:
        return [
            '"categories" must be a non-empty list of {"id", "name", '
            f'"isthing"[, "color"]}}, got {categories!r:.80}'
        ]
    problems = [_category_problem(i, cat) for i, cat in enumerate(categories)]
    problems = [p for p in problems if p]
    if problems:
        return problems
    for key in ('id', 'name'):
        values = [cat[key] for cat in categories]
        repeated = sorted({v for v in values if values.count(v) > 1}, key=str)
        if repeated:
            problems.append(f'category {key}s {repeated} occur more than '
                            'once')
    return problems


def metainfo_from_categories(categories: Sequence[dict],
                             source: str = 'the panoptic JSON',
                             metainfo: Optional[dict] = None) -> dict:
    """A panoptic dataset's metainfo from a COCO-panoptic ``categories``.

    Args:
        categories (Sequence[dict]): ``id``, ``name``, ``isthing`` and
            optionally ``color`` of each category, in train-id order.
        source (str): The file, named in errors.
        metainfo (dict, optional): A config's ``metainfo``, whose keys
            replace those from ``categories`` (e.g. ``ignore_index`` for
            more than 255 classes).

    Returns:
        dict: :meth:`PanopticMetaInfo.to_dict`: ``classes``, ``palette``
        (the categories' ``color``; a category without one gets
        :func:`default_palette`'s colour of its train id), ``thing_ids``,
        ``label_ids``, ``label_divisor`` and ``ignore_index``.
    """
    problems = categories_problems(categories)
    if problems:
        raise ValueError(
            f'{source}: {"; ".join(problems)}. Fix the "categories" list of '
            'the JSON (each category: {"id": int, "name": str, "isthing": '
            '0 or 1, "color": [R, G, B] optional}), or give the classes in '
            'the dataset config: metainfo=dict(classes=..., thing_ids=..., '
            'label_ids=...).')
    fallback = default_palette(len(categories))
    meta = dict(
        classes=[cat['name'] for cat in categories],
        thing_ids=[i for i, cat in enumerate(categories) if cat['isthing']],
        label_ids=[cat['id'] for cat in categories],
        palette=[
            fallback[i] if cat.get('color') is None else cat['color']
            for i, cat in enumerate(categories)
        ])
    meta.update(metainfo or {})
    return PanopticMetaInfo.from_dict(meta, source).to_dict()


def read_categories_file(path: str, option: str = 'categories_file') -> list:
    """The ``categories`` of the JSON file ``path`` (a panoptic JSON, or a
    bare list such as panopticapi's ``panoptic_coco_categories.json``).

    Only JSON is read, whatever the file's extension: YAML and pickle
    parsers can build objects that run code, and a categories file is
    often received from others.

    Args:
        path (str): The file.
        option (str): The setting that named it, in errors.

    Returns:
        list: The categories (not yet checked, see
        :func:`categories_problems`).

    Raises:
        FileNotFoundError: ``path`` is missing.
        ValueError: ``path`` is not JSON.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{option} {path!r} not found: give a JSON with the '
            'dataset\'s "categories", e.g. its val panoptic JSON.')
    content = read_panoptic_json(
        path, f'as JSON ({option} is read as JSON only, never as YAML or '
        'pickle); e.g. the dataset\'s val panoptic JSON')
    if isinstance(content, dict):
        return content.get('categories')
    return content
