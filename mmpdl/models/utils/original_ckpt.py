"""Read original Panoptic-DeepLab checkpoints and write mmengine ones.

The original implementation (github.com/bowenc0221/panoptic-deeplab) saves
either a bare ``state_dict`` or a dict holding it under ``'state_dict'``;
models trained with ``DataParallel``/``DistributedDataParallel`` prefix every
key with ``module.``. :func:`read_state_dict` accepts all of these, always
with ``torch.load(weights_only=True)``, and :func:`save_converted` writes an
mmengine checkpoint (``state_dict`` + ``meta``) atomically, so a failed run
never leaves a half-written file behind.
"""
import hashlib
import io
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import torch

from mmpdl.utils.atomic_io import atomic_write_bytes

DDP_PREFIX = 'module.'


class CheckpointFormatError(ValueError):
    """A file is not a checkpoint, or not one holding a state dict."""


def file_sha256(path: str) -> str:
    """Hex sha256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _load(path: str) -> object:
    """``torch.load`` with ``weights_only=True`` and readable errors."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # arbitrary bytes fail in arbitrary ways
        first_line = str(err).strip().splitlines()[0] if str(err) else ''
        raise CheckpointFormatError(
            f'{path} is not a PyTorch checkpoint that can be loaded with '
            f'torch.load(weights_only=True) ({type(err).__name__}: '
            f'{first_line}). Pass the .pth file saved by the original '
            'Panoptic-DeepLab training (final_state.pth or a checkpoint '
            'with a "state_dict" entry).') from err


def _pick_state_dict(obj: object, path: str) -> Dict[str, object]:
    """Return the mapping of tensors inside a loaded checkpoint object."""
    if not isinstance(obj, dict):
        raise CheckpointFormatError(
            f'{path} holds a {type(obj).__name__}, not a dict of tensors; '
            'expected a state dict or a dict with a "state_dict" entry.')
    if 'state_dict' in obj:
        obj = obj['state_dict']
        if not isinstance(obj, dict):
            raise CheckpointFormatError(
                f'{path}: "state_dict" is a {type(obj).__name__}, '
                'not a dict of tensors.')
    bad = [k for k, v in obj.items() if not torch.is_tensor(v)]
    if not obj or bad:
        raise CheckpointFormatError(
            f'{path} is not a state dict: ' +
            ('it is empty' if not obj else
             f'{len(bad)} entries are not tensors, e.g. {bad[:5]}') +
            '. Expected a state dict or a dict with a "state_dict" entry.')
    return obj


def strip_ddp_prefix(
        state_dict: Dict[str,
                         torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Remove the ``module.`` prefix that (Distributed)DataParallel adds.

    Only done when every key has the prefix, so a model that has a real
    submodule called ``module`` is left alone.
    """
    if all(k.startswith(DDP_PREFIX) for k in state_dict):
        return OrderedDict(
            (k[len(DDP_PREFIX):], v) for k, v in state_dict.items())
    return OrderedDict(state_dict)


def read_state_dict(path: str) -> 'OrderedDict[str, torch.Tensor]':
    """Read the state dict of a checkpoint file (original or mmengine).

    Args:
        path (str): A ``.pth`` file holding a bare state dict or a dict with
            a ``'state_dict'`` entry, keys with or without ``module.``.

    Returns:
        OrderedDict[str, Tensor]: Parameter/buffer name -> tensor (CPU,
        dtype as saved), without the ``module.`` prefix.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointFormatError: not loadable with ``weights_only=True`` or
            holding no state dict.
    """
    return strip_ddp_prefix(_pick_state_dict(_load(path), path))


def save_converted(state_dict: Dict[str, torch.Tensor],
                   path: str,
                   meta: Optional[dict] = None) -> None:
    """Write ``{'state_dict': ..., 'meta': ...}`` to ``path`` atomically.

    Args:
        state_dict (dict[str, Tensor]): The converted tensors.
        path (str): Destination ``.pth``; its folder is created if needed.
        meta (dict, optional): JSON-like information stored beside it.
    """
    buffer = io.BytesIO()
    torch.save(
        {
            'state_dict': OrderedDict(state_dict),
            'meta': dict(meta or {})
        }, buffer)
    atomic_write_bytes(buffer.getvalue(), path)


def save_state_dict(state_dict: Dict[str, torch.Tensor], path: str) -> None:
    """Write a bare state dict (the original's ``final_state.pth`` format)
    to ``path`` atomically.

    Args:
        state_dict (dict[str, Tensor]): The tensors.
        path (str): Destination ``.pth``.
    """
    buffer = io.BytesIO()
    torch.save(OrderedDict(state_dict), buffer)
    atomic_write_bytes(buffer.getvalue(), path)
