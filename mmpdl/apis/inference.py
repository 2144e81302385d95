"""``init_model`` and ``inference_model``: Python entry points for
predicting with a config and a checkpoint, on CPU or GPU."""
import os.path as osp
from typing import List, Sequence, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmpdl.registry import DATASETS, MODELS
from mmpdl.structures import PanopticDataSample
from mmpdl.utils import load_config, register_all_modules
from mmpdl.utils.checkpoint_fit import check_checkpoint_fits

ImageInput = Union[str, np.ndarray]


def _clear_pretrained(node):
    """Drop ``init_cfg`` (ImageNet weights) anywhere in a model config."""
    if isinstance(node, dict):
        if 'init_cfg' in node:
            node['init_cfg'] = None
        for value in node.values():
            _clear_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _clear_pretrained(value)


def _annotation_file_meta(dataset: dict) -> dict:
    """Metainfo of a dataset config whose classes come from its annotation
    file's ``categories`` (``CocoPanopticDataset``): read from the file
    when it exists, updated by the config's ``metainfo``; ``{}`` when the
    file is not here (the checkpoint's ``dataset_meta`` then gives it)."""
    from mmpdl.datasets.panoptic_categories import metainfo_from_categories
    from mmpdl.datasets.panoptic_checks import read_panoptic_json
    ann_file = dataset.get('ann_file') or ''
    path = osp.join(dataset.get('data_root') or '', ann_file)
    if not ann_file or not osp.isfile(path):
        return {}
    meta = metainfo_from_categories(
        read_panoptic_json(path,
                           'with the tool that wrote it').get('categories'),
        path)
    meta.update(dataset.get('metainfo') or {})
    return meta


def _dataset_of(cfg: Config):
    """The test (else val, train) dataset config and its class, or
    ``(None, None)``."""
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset and 'type' in dataset:
            cls = DATASETS.get(dataset['type'])
            if cls is None:
                raise KeyError(f'{loader}.dataset.type '
                               f'{dataset["type"]!r} is not a registered '
                               'dataset')
            return dataset, cls
    return None, None


def _classes_from_file(dataset: dict, cls) -> bool:
    """Whether the dataset reads its classes from its annotation file."""
    given = dataset.get('metainfo') or {}
    return (cls.METAINFO.get('classes') is None
            and given.get('classes') is None)


def config_dataset_meta(cfg: Config) -> dict:
    """The metainfo of the config's test (else val, train) dataset class,
    updated by that dataset's ``metainfo`` setting; a dataset that reads
    its classes from its annotation file (COCO-panoptic ``categories``)
    gives that file's, or ``{}`` when the file is not on this machine;
    without a dataset, ``{}``."""
    dataset, cls = _dataset_of(cfg)
    if dataset is None:
        return {}
    if _classes_from_file(dataset, cls):
        return _annotation_file_meta(dataset)
    return dict(cls._load_metainfo(dataset.get('metainfo')))


def init_model(config: Union[str, Config],
               checkpoint: str = None,
               device: str = 'cpu',
               cfg_options: dict = None) -> torch.nn.Module:
    """Build a segmentor from a config and load a checkpoint.

    SyncBN is reverted to BN (single process); ``dataset_meta`` comes from
    the checkpoint's ``meta['dataset_meta']`` when present, else from the
    config's dataset (:func:`config_dataset_meta`). A checkpoint that
    leaves model weights unloaded or mismatched raises a ``ValueError``
    with their count, the first names and the config it was saved with.

    Args:
        config (str | Config): Config file path or object.
        checkpoint (str, optional): Checkpoint file or URL.
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:1'`` ...
        cfg_options (dict, optional): Config overrides.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and
        ``dataset_meta`` attributes.
    """
    if isinstance(config, str):
        config = load_config(config, cfg_options)
    elif not isinstance(config, Config):
        raise TypeError('config must be a file path or a Config, got '
                        f'{type(config)}')
    elif cfg_options:
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise KeyError('the config has no `model`')
    register_all_modules()
    config.model.train_cfg = None
    _clear_pretrained(config.model)
    model = revert_sync_batchnorm(MODELS.build(config.model))
    meta = config_dataset_meta(config)
    if checkpoint is not None:
        is_url = checkpoint.startswith(('http://', 'https://'))
        if not is_url and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint!r}')
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
        check_checkpoint_fits(model, ckpt, checkpoint)
        _load_checkpoint_to_model(model, ckpt)
        meta.update(ckpt.get('meta', {}).get('dataset_meta') or {})
    dataset, cls = _dataset_of(config)
    if 'classes' not in meta and dataset and _classes_from_file(dataset, cls):
        raise ValueError(
            'the model has no class list: the config\'s dataset reads it '
            'from its annotation file, which is not on this machine, and '
            'no checkpoint meta["dataset_meta"] gives it (checkpoint: '
            f'{checkpoint!r}); '
            'put the annotation file at the config\'s data_root/ann_file, '
            'or give the dataset metainfo=dict(classes=..., thing_ids=..., '
            'label_ids=...) in the config')
    model.dataset_meta = meta
    model.cfg = config
    return model.to(device).eval()


def _pipeline(cfg: Config, from_array: bool) -> Compose:
    """The test pipeline without annotation loading."""
    steps = [
        dict(step) for step in cfg.get('test_pipeline', [])
        if 'Annotation' not in step['type']
    ]
    if not steps:
        steps = [
            dict(type='LoadImageFromFile'),
            dict(type='PackPanopticInputs')
        ]
    if from_array:
        steps[0] = dict(type='LoadImageFromNDArray')
    return Compose(steps)


def _load_one(img: ImageInput, cfg: Config):
    if isinstance(img, np.ndarray):
        return _pipeline(cfg, True)(dict(img=img))
    if not isinstance(img, str):
        raise TypeError(f'expected an image path or array, got {type(img)}')
    if not osp.isfile(img):
        raise FileNotFoundError(f'image not found: {img!r}')
    if mmcv.imread(img) is None:
        raise ValueError(f'{img!r} is not an image that OpenCV can read')
    return _pipeline(cfg, False)(dict(img_path=img))


def inference_model(
    model: torch.nn.Module, img: Union[ImageInput, Sequence[ImageInput]]
) -> Union[PanopticDataSample, List[PanopticDataSample]]:
    """Predict one image or a list of images.

    Args:
        model (nn.Module): From :func:`init_model`.
        img (str | np.ndarray | list): Path(s) or (H, W, 3) BGR uint8
            array(s).

    Returns:
        PanopticDataSample | list: With ``pred_panoptic_seg``,
        ``pred_sem_seg``, ``pred_instances``, ``pred_center`` and
        ``pred_offset`` at the image size.
    """
    single = not isinstance(img, (list, tuple))
    images = [img] if single else list(img)
    data = pseudo_collate([_load_one(i, model.cfg) for i in images])
    with torch.no_grad():
        results = model.test_step(data)
    return results[0] if single else results
