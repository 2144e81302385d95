"""A config's dataset metadata without building the dataset, and the
head's ``num_classes`` taken from it (:func:`fill_num_classes`)."""
import os.path as osp
from typing import Optional, Sequence, Tuple

from mmpdl.registry import DATASETS

#: dataloaders whose dataset gives the classes, in order of preference
TRAIN_FIRST = ('train_dataloader', 'val_dataloader', 'test_dataloader')
TEST_FIRST = ('test_dataloader', 'val_dataloader', 'train_dataloader')
#: model keys of heads that predict the dataset's classes
HEAD_KEYS = ('decode_head', 'auxiliary_head')


def dataset_of(cfg, loaders: Sequence[str] = TEST_FIRST) -> Tuple:
    """The first of ``loaders`` that has a dataset config.

    Returns:
        tuple: ``(loader name, dataset config, dataset class)``, or
        ``(None, None, None)`` when none has one.
    """
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset and 'type' in dataset:
            cls = DATASETS.get(dataset['type'])
            if cls is None:
                raise KeyError(f'{loader}.dataset.type '
                               f'{dataset["type"]!r} is not a registered '
                               'dataset')
            return loader, dataset, cls
    return None, None, None


def classes_from_file(dataset: dict, cls) -> bool:
    """Whether the dataset reads its classes from its annotation file (a
    COCO-panoptic JSON's ``categories``) rather than from fixed metadata
    or the config's ``metainfo``."""
    given = dataset.get('metainfo') or {}
    return (getattr(cls, 'METAINFO', {}).get('classes') is None
            and given.get('classes') is None)


def class_file(dataset: dict) -> str:
    """The file a dataset config reads its ``categories`` from: its
    ``ann_file``, else its ``categories_file``, under ``data_root``;
    ``''`` when it names neither."""
    name = dataset.get('ann_file') or dataset.get('categories_file') or ''
    if not name:
        return ''
    return osp.join(dataset.get('data_root') or '', name)


def _file_meta(dataset: dict) -> dict:
    """Metainfo from the dataset's :func:`class_file`, updated by the
    config's ``metainfo``; ``{}`` when that file is not here."""
    from .panoptic_categories import metainfo_from_categories
    from .panoptic_checks import read_panoptic_json
    path = class_file(dataset)
    if not path or not osp.isfile(path):
        return {}
    content = read_panoptic_json(path, 'with the tool that wrote it')
    categories = content.get('categories') if isinstance(content,
                                                         dict) else content
    meta = metainfo_from_categories(categories, path)
    meta.update(dataset.get('metainfo') or {})
    return meta


def config_dataset_meta(cfg, loaders: Sequence[str] = TEST_FIRST) -> dict:
    """The metainfo of the first dataset of ``loaders`` in ``cfg``.

    A dataset class with fixed metadata (Cityscapes) gives it, updated by
    the config's ``metainfo``, without reading any file; a dataset that
    reads its classes from its annotation file (COCO-panoptic
    ``categories``) gives that file's, or ``{}`` when the file is not on
    this machine. Without a dataset, ``{}``.

    Args:
        cfg (Config): A full config.
        loaders (Sequence[str]): Dataloader keys tried in order.

    Returns:
        dict: ``classes``, ``thing_ids``, ``label_ids`` ... or ``{}``.
    """
    _, dataset, cls = dataset_of(cfg, loaders)
    if dataset is None:
        return {}
    if classes_from_file(dataset, cls):
        return _file_meta(dataset)
    return dict(cls._load_metainfo(dataset.get('metainfo')))


def _heads(cfg) -> list:
    """``(config key, head config)`` of every head with ``num_classes``."""
    model = cfg.get('model') or {}
    heads = []
    for key in HEAD_KEYS:
        value = model.get(key)
        items = value if isinstance(value, (list, tuple)) else [value]
        for index, head in enumerate(items):
            if isinstance(head, dict) and 'num_classes' in head:
                name = f'model.{key}' + (f'.{index}' if isinstance(
                    value, (list, tuple)) else '')
                heads.append((f'{name}.num_classes', head))
    return heads


def _config_classes(cfg, loaders: Sequence[str]) -> Tuple:
    """The classes of the config's dataset and where they come from;
    raises when a head needs them and they are not here."""
    loader, dataset, cls = dataset_of(cfg, loaders)
    if dataset is None:
        return None, f'the config, which has no {"/".join(loaders)} dataset'
    meta = config_dataset_meta(cfg, (loader, ))
    source = f'{loader}.dataset ({dataset["type"]}'
    if classes_from_file(dataset, cls):
        path = class_file(dataset)
        if not meta:
            return None, (f'{source}), whose classes come from '
                          f'{path or "no file"!r}: that file does not exist '
                          '(make it first, see docs/custom_dataset.md)')
        return meta['classes'], f'{source}, classes from {path!r})'
    return meta['classes'], f'{source} metainfo)'


def fill_num_classes(cfg,
                     classes: Optional[Sequence[str]] = None,
                     source: str = '',
                     loaders: Sequence[str] = TRAIN_FIRST,
                     check: bool = True) -> Optional[int]:
    """Give the heads the dataset's class count, before the model is built.

    A head's ``num_classes=None`` becomes ``len(classes)``; an explicit
    value must equal it. ``tools/train.py`` (train dataset first),
    ``tools/test.py`` (test dataset first) and ``init_model`` (the
    checkpoint's ``dataset_meta`` first) call it; a script that builds
    its own Runner calls it before ``Runner.from_cfg(cfg)``.

    Args:
        cfg (Config): A full config; its ``model`` is changed in place.
        classes (Sequence[str], optional): The class names, e.g. a
            checkpoint's ``meta['dataset_meta']['classes']``; else read
            from the first dataset of ``loaders`` (without loading it:
            :func:`config_dataset_meta`).
        source (str): Where ``classes`` come from, named in errors.
        loaders (Sequence[str]): Dataloader keys tried in order.
        check (bool): Read the dataset even when every head has an
            explicit ``num_classes``, to compare. False: only when one is
            None (building a model without its data, e.g. to count
            FLOPs).

    Returns:
        int | None: The class count, or None when nothing was read.

    Raises:
        ValueError: An explicit ``num_classes`` differs from the class
            count, or a head's is None and no class list is here; the
            message names both numbers (or the missing file) and the fix.
    """
    heads = _heads(cfg)
    missing = [key for key, head in heads if head['num_classes'] is None]
    if classes is None and not missing and not check:
        return None
    if classes is None:
        classes, source = _config_classes(cfg, loaders)
    if classes is None:
        if missing:
            raise ValueError(
                f'{missing[0]}=None stands for the class count of the '
                f'dataset, but none is known from {source}. Set '
                f'{missing[0]} to the number of classes (e.g. '
                f'--cfg-options {missing[0]}=19).')
        return None
    count = len(classes)
    for key, head in heads:
        if head['num_classes'] is None:
            head['num_classes'] = count
        elif head['num_classes'] != count:
            raise ValueError(
                f'{key}={head["num_classes"]} but {source} has {count} '
                f'classes {tuple(classes)[:8]}'
                f'{" ..." if count > 8 else ""}. Set {key}={count}, or '
                'leave it out (None) to take the dataset\'s count.')
    return count
