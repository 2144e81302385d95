"""A config's dataset metadata without building the dataset, and the
model settings taken from it (:func:`fill_dataset_meta`)."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmpdl.registry import DATASETS
from mmpdl.structures import PanopticMetaInfo

#: dataloaders whose dataset gives the classes, in order of preference
TRAIN_FIRST = ('train_dataloader', 'val_dataloader', 'test_dataloader')
TEST_FIRST = ('test_dataloader', 'val_dataloader', 'train_dataloader')
#: model keys of heads that predict the dataset's classes
HEAD_KEYS = ('decode_head', 'auxiliary_head')
#: head keys of losses whose ``ignore_index`` is the dataset's
LOSS_KEYS = ('loss_semantic', 'loss_decode')
#: evaluators, and the metrics among them that take an ``ignore_index``
#: (mmseg's ``IoUMetric`` defaults to 255, whatever the dataset's)
EVALUATOR_KEYS = ('val_evaluator', 'test_evaluator')
IGNORING_METRICS = ('IoUMetric', )


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


def _file_meta(dataset: dict) -> Optional[PanopticMetaInfo]:
    """Metadata from the dataset's :func:`class_file`, updated by the
    config's ``metainfo``; None when that file is not here."""
    from .panoptic_categories import (metainfo_from_categories,
                                      read_categories_file)
    path = class_file(dataset)
    if not path or not osp.isfile(path):
        return None
    return PanopticMetaInfo.from_dict(
        metainfo_from_categories(
            read_categories_file(path, path), path, dataset.get('metainfo')),
        path)


def config_dataset_meta(
        cfg,
        loaders: Sequence[str] = TEST_FIRST) -> Optional[PanopticMetaInfo]:
    """The metadata of the first dataset of ``loaders`` in ``cfg``, without
    building the dataset.

    A dataset class with fixed metadata (Cityscapes) gives it, updated by
    the config's ``metainfo``, without reading any file; a dataset that
    reads its classes from its annotation file (COCO-panoptic
    ``categories``) gives that file's, or None when the file is not on
    this machine. Without a dataset, None.

    Args:
        cfg (Config): A full config.
        loaders (Sequence[str]): Dataloader keys tried in order.

    Returns:
        PanopticMetaInfo | None: The metadata.
    """
    _, dataset, cls = dataset_of(cfg, loaders)
    if dataset is None:
        return None
    if classes_from_file(dataset, cls):
        return _file_meta(dataset)
    return PanopticMetaInfo.from_dict(
        cls._load_metainfo(dataset.get('metainfo')),
        f'{dataset["type"]} metainfo')


def _meta_slots(cfg) -> List[Tuple[str, dict, str, str]]:
    """Every setting that must be the dataset's, as ``(config key, dict
    holding it, its key there, PanopticMetaInfo attribute)``: the heads'
    ``num_classes``, their losses' ``ignore_index``, the data
    preprocessor's ``seg_pad_val`` (the void label of padded pixels) and the
    ``ignore_index`` of the evaluators' ``IoUMetric``."""
    model = cfg.get('model') or {}
    slots = []
    for key in HEAD_KEYS:
        value = model.get(key)
        items = value if isinstance(value, (list, tuple)) else [value]
        for index, head in enumerate(items):
            if not isinstance(head, dict):
                continue
            name = f'model.{key}' + (f'.{index}' if isinstance(
                value, (list, tuple)) else '')
            if 'num_classes' in head:
                slots.append((f'{name}.num_classes', head, 'num_classes',
                              'num_classes'))
            for loss_key in LOSS_KEYS:
                loss = head.get(loss_key)
                losses = loss if isinstance(loss, (list, tuple)) else [loss]
                for i, item in enumerate(losses):
                    if isinstance(item, dict) and 'ignore_index' in item:
                        where = f'{name}.{loss_key}' + (f'.{i}' if isinstance(
                            loss, (list, tuple)) else '')
                        slots.append((f'{where}.ignore_index', item,
                                      'ignore_index', 'ignore_index'))
    preprocessor = model.get('data_preprocessor')
    if isinstance(preprocessor, dict) and 'seg_pad_val' in preprocessor:
        slots.append(('model.data_preprocessor.seg_pad_val', preprocessor,
                      'seg_pad_val', 'ignore_index'))
    for key in EVALUATOR_KEYS:
        value = cfg.get(key)
        items = value if isinstance(value, (list, tuple)) else [value]
        for index, metric in enumerate(items):
            if isinstance(metric,
                          dict) and metric.get('type') in (IGNORING_METRICS):
                metric.setdefault('ignore_index', None)
                name = key + (f'.{index}' if isinstance(value,
                                                        (list, tuple)) else '')
                slots.append((f'{name}.ignore_index', metric, 'ignore_index',
                              'ignore_index'))
    return slots


def _config_meta(cfg, loaders: Sequence[str]) -> Tuple:
    """The metadata of the config's dataset and where it comes from;
    (None, why) when it is not here."""
    loader, dataset, cls = dataset_of(cfg, loaders)
    if dataset is None:
        return None, f'the config, which has no {"/".join(loaders)} dataset'
    meta = config_dataset_meta(cfg, (loader, ))
    source = f'{loader}.dataset ({dataset["type"]}'
    if classes_from_file(dataset, cls):
        path = class_file(dataset)
        if meta is None:
            return None, (f'{source}), whose classes come from '
                          f'{path or "no file"!r}: that file does not exist '
                          '(make it first, see docs/custom_dataset.md)')
        return meta, f'{source}, classes from {path!r})'
    return meta, f'{source} metainfo)'


def fill_dataset_meta(cfg,
                      meta: Optional[PanopticMetaInfo] = None,
                      source: str = '',
                      loaders: Sequence[str] = TRAIN_FIRST,
                      check: bool = True) -> Optional[PanopticMetaInfo]:
    """Give the model the dataset's class count and void label, before it
    is built.

    The heads' ``num_classes``, their losses' ``ignore_index`` and the data
    preprocessor's ``seg_pad_val`` (see :func:`_meta_slots`) are the
    dataset's: ``None`` (the base configs) becomes the dataset's value; an
    explicit value must equal it. ``tools/train.py`` (train dataset first),
    ``tools/test.py`` (test dataset first) and ``init_model`` (the
    checkpoint's ``dataset_meta`` first) call it; a script that builds its
    own Runner calls it before ``Runner.from_cfg(cfg)``.

    Args:
        cfg (Config): A full config; its ``model`` is changed in place.
        meta (PanopticMetaInfo, optional): The metadata, e.g. of a
            checkpoint's ``meta['dataset_meta']``; else read from the first
            dataset of ``loaders`` (without loading it:
            :func:`config_dataset_meta`).
        source (str): Where ``meta`` comes from, named in errors.
        loaders (Sequence[str]): Dataloader keys tried in order.
        check (bool): Read the dataset even when every setting is
            explicit, to compare. False: only when one is None (building a
            model without its data, e.g. to count FLOPs). Without dataset
            metadata an unset ignore index stays None (the semantic loss
            raises if computed); an unset class count raises here.

    Returns:
        PanopticMetaInfo | None: The metadata used, or None when nothing
        was read.

    Raises:
        ValueError: An explicit value differs from the dataset's, or one is
            None and no dataset metadata is here; the message names both
            numbers (or the missing file) and the fix.
    """
    slots = _meta_slots(cfg)
    unset = [(key, attr) for key, node, name, attr in slots
             if node[name] is None]
    if meta is None and not unset and not check:
        return None
    if meta is None:
        meta, source = _config_meta(cfg, loaders)
    # a model builds without an ignore index (only a loss needs it), not
    # without a class count
    missing = [key for key, attr in unset if attr == 'num_classes']
    if meta is None:
        if missing:
            raise ValueError(
                f'{missing[0]}=None stands for the class count of the '
                f'dataset, but none is known from {source}. Set '
                f'{missing[0]} (e.g. --cfg-options {missing[0]}=19).')
        return None
    for key, node, name, attribute in slots:
        value = getattr(meta, attribute)
        if node[name] is None:
            node[name] = value
        elif node[name] != value:
            has = (f'{value} classes {meta.classes[:8]}'
                   f'{" ..." if value > 8 else ""}'
                   if attribute == 'num_classes' else f'ignore_index {value}')
            raise ValueError(
                f'{key}={node[name]} but {source} has {has}. Set '
                f'{key}={value}, or leave it out (None) to take the '
                'dataset\'s value.')
    return meta
