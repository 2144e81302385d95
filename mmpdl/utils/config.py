"""Reading config files with a clear error for a wrong path; configs as
JSON for files that others receive."""
import json
import os.path as osp
from typing import Optional

from mmengine.config import Config

EXAMPLE_CONFIG = ('configs/panoptic_deeplab/'
                  'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py')


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file (``_base_`` resolved) and apply overrides.

    A dataloader left with ``num_workers=0`` (e.g. by ``--cfg-options
    test_dataloader.num_workers=0`` for debugging) gets
    ``persistent_workers=False``, which PyTorch requires then; the configs
    set it to True for their worker processes.

    Args:
        path (str): Config file path.
        cfg_options (dict, optional): ``--cfg-options`` style overrides,
            merged with ``Config.merge_from_dict``.

    Returns:
        Config: The config.

    Raises:
        FileNotFoundError: ``path`` is not a file; the message names it and
            where configs live.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'config file not found: {path!r}. Configs live in configs/, '
            f'e.g. {EXAMPLE_CONFIG}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader and loader.get('num_workers', None) == 0:
            loader['persistent_workers'] = False
    return cfg


#: JSON has no tuples; a config's tuples (``scale=(2048, 1024)``, which
#: mmcv's transforms test with ``isinstance(scale, tuple)``) are written as
#: ``{TUPLE_KEY: [...]}`` and read back as tuples.
TUPLE_KEY = '__tuple__'


def _tag_tuples(value):
    """``value`` with every tuple as ``{TUPLE_KEY: [...]}`` (recursively)."""
    if isinstance(value, tuple):
        return {TUPLE_KEY: [_tag_tuples(v) for v in value]}
    if isinstance(value, list):
        return [_tag_tuples(v) for v in value]
    if isinstance(value, dict):
        return {k: _tag_tuples(v) for k, v in value.items()}
    return value


def _untag_tuple(obj: dict):
    """``json.loads`` object hook: ``{TUPLE_KEY: [...]}`` -> tuple."""
    if len(obj) == 1 and TUPLE_KEY in obj:
        return tuple(obj[TUPLE_KEY])
    return obj


def config_to_json(cfg: Config) -> str:
    """``cfg`` as JSON text, for files that others receive (the ONNX
    metadata): unlike a ``.py`` config, reading it back runs no code.

    Raises:
        TypeError: a value JSON cannot hold (a function or class object in
            the config); the message names it.
    """
    try:
        return json.dumps(_tag_tuples(cfg.to_dict()))
    except TypeError as err:
        raise TypeError(
            f'the config holds a value JSON cannot store ({err}); write '
            "registry names (type='Name') instead of Python objects") from err


def config_from_json(text: str, source: str) -> Config:
    """The config of :func:`config_to_json` text, parsed as data only.

    Args:
        text (str): JSON text.
        source (str): Where the text comes from, named in errors.

    Returns:
        Config: The config (tuples restored).

    Raises:
        ValueError: ``text`` is not a JSON object.
    """
    try:
        data = json.loads(text, object_hook=_untag_tuple)
    except json.JSONDecodeError as err:
        raise ValueError(f'{source}: the config is not valid JSON ({err})')
    if not isinstance(data, dict):
        raise ValueError(f'{source}: the config is a JSON '
                         f'{type(data).__name__}, not an object')
    return Config(data)
