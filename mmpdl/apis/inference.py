"""``init_model`` and ``inference_model``: Python entry points for
predicting with a config and a checkpoint, on CPU or GPU."""
import os.path as osp
from typing import List, Sequence, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmpdl.datasets.config_meta import (TEST_FIRST, classes_from_file,
                                        config_dataset_meta, dataset_of,
                                        fill_dataset_meta)
from mmpdl.datasets.transforms.inference_loading import ACCEPTED
from mmpdl.registry import MODELS
from mmpdl.structures import PanopticDataSample, PanopticMetaInfo
from mmpdl.utils import load_config, register_all_modules
from mmpdl.utils.checkpoint_fit import check_checkpoint_fits
from .inference_pipeline import build_inference_pipeline

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


def init_model(config: Union[str, Config],
               checkpoint: str = None,
               device: str = 'cpu',
               cfg_options: dict = None) -> torch.nn.Module:
    """Build a segmentor from a config and load a checkpoint.

    SyncBN is reverted to BN (single process); ``dataset_meta`` comes from
    the checkpoint's ``meta['dataset_meta']`` when present, else from the
    config's dataset (:func:`config_dataset_meta`), and so do a head's
    ``num_classes=None`` and the loss's ``ignore_index=None``
    (:func:`fill_dataset_meta`; an explicit value that differs raises a
    ``ValueError``). A checkpoint that
    leaves model weights unloaded or mismatched raises a ``ValueError``
    with their count, the first names and the config it was saved with.

    Args:
        config (str | Config): Config file path or object.
        checkpoint (str, optional): Checkpoint file or URL.
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:1'`` ...
        cfg_options (dict, optional): Config overrides.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and
        ``dataset_meta`` (:meth:`PanopticMetaInfo.to_dict`) attributes.
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
    meta = config_dataset_meta(config)
    source = "the config's dataset"
    ckpt = None
    if checkpoint is not None:
        is_url = checkpoint.startswith(('http://', 'https://'))
        if not is_url and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint!r}')
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
        saved = (ckpt.get('meta') or {}).get('dataset_meta') or {}
        if 'classes' in saved:
            source = f"the checkpoint {checkpoint!r} (meta['dataset_meta'])"
            meta = PanopticMetaInfo.from_dict(saved, source)
    _, dataset, cls = dataset_of(config)
    if meta is None and dataset and classes_from_file(dataset, cls):
        raise ValueError(
            'the model has no class list: the config\'s dataset reads it '
            'from its annotation file, which is not on this machine, and '
            'no checkpoint meta["dataset_meta"] gives it (checkpoint: '
            f'{checkpoint!r}); '
            'put the annotation file at the config\'s data_root/ann_file, '
            'or give the dataset metainfo=dict(classes=..., thing_ids=..., '
            'label_ids=...) in the config')
    fill_dataset_meta(config, meta, source=source, loaders=TEST_FIRST)
    model = revert_sync_batchnorm(MODELS.build(config.model))
    if ckpt is not None:
        check_checkpoint_fits(model, ckpt, checkpoint)
        _load_checkpoint_to_model(model, ckpt)
    model.dataset_meta = meta.to_dict() if meta is not None else {}
    model.cfg = config
    return model.to(device).eval()


def _load_one(img: ImageInput, pipeline):
    """One input through the inference pipeline, with clear errors."""
    if isinstance(img, np.ndarray):
        return pipeline(dict(img=img))
    if not isinstance(img, str):
        raise TypeError(f'inference takes {ACCEPTED}; got '
                        f'{type(img).__name__}')
    if not osp.isfile(img):
        raise FileNotFoundError(f'image not found: {img!r}')
    if mmcv.imread(img) is None:
        raise ValueError(f'{img!r} is not an image that OpenCV can read')
    return pipeline(dict(img_path=img))


def inference_model(
    model: torch.nn.Module, img: Union[ImageInput, Sequence[ImageInput]]
) -> Union[PanopticDataSample, List[PanopticDataSample]]:
    """Predict one image or a list of images.

    The images go through the inference pipeline of ``model.cfg``
    (:func:`~mmpdl.apis.inference_pipeline.inference_pipeline_cfg`, the
    same as :class:`PanopticInferencer`'s).

    Args:
        model (nn.Module): From :func:`init_model`.
        img (str | np.ndarray | list): Image path(s) or uint8 BGR
            array(s): (H, W, 3); (H, W, 4) BGRA (alpha dropped); (H, W) or
            (H, W, 1) grayscale. Other dtypes (uint16, float) are refused
            with a message that says how to convert them (see
            :mod:`mmpdl.datasets.transforms.inference_loading`).

    Returns:
        PanopticDataSample | list: With ``pred_panoptic_seg``,
        ``pred_sem_seg``, ``pred_instances``, ``pred_center`` and
        ``pred_offset`` at the image size.
    """
    single = not isinstance(img, (list, tuple))
    images = [img] if single else list(img)
    pipeline = build_inference_pipeline(model.cfg)
    data = pseudo_collate([_load_one(i, pipeline) for i in images])
    with torch.no_grad():
        results = model.test_step(data)
    return results[0] if single else results
