"""Reading config files with a clear error for a wrong path."""
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
