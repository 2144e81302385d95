"""Checkpoint files of every format the converters read and write.

Reading never runs code from the file: ``torch.save`` files go through
``torch.load(weights_only=True)`` (:func:`load_weights_only`), detectron2's
model-zoo ``.pkl`` through the numpy-only unpickler
(:func:`mmpdl.utils.safe_load.load_numpy_pickle`). Writing is atomic
(:func:`mmpdl.utils.atomic_io.atomic_write_bytes`): a failed conversion
leaves no partial file.
"""
import hashlib
import io
import os.path as osp
import pickle
import zipfile
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np
import torch

from mmpdl.utils.atomic_io import atomic_write_bytes
from mmpdl.utils.safe_load import load_numpy_pickle

DDP_PREFIX = 'module.'
#: the first bytes of a ``torch.save`` file in the pre-1.6 (non-zip) format
LEGACY_TORCH_HEADER = pickle.dumps(
    torch.serialization.MAGIC_NUMBER, protocol=2)[:-1]


class CheckpointFormatError(ValueError):
    """A file is not a checkpoint, or not one holding a state dict."""


def file_sha256(path: str) -> str:
    """Hex sha256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def load_weights_only(path: str, expected: str) -> object:
    """``torch.load(path, weights_only=True)`` on CPU with readable errors.

    Args:
        path (str): A ``torch.save`` file.
        expected (str): What the file should be, said in the error.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointFormatError: ``torch.load`` refuses the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # arbitrary bytes fail in arbitrary ways
        lines = [line for line in str(err).splitlines() if line.strip()]
        # the line naming a refused global (e.g. posix.system), else the
        # first one
        reason = next((line for line in lines if 'GLOBAL' in line),
                      lines[0] if lines else '')
        raise CheckpointFormatError(
            f'{path} is not a PyTorch checkpoint that can be loaded with '
            f'torch.load(weights_only=True) ({type(err).__name__}: '
            f'{reason.strip()}). {expected}') from err


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
    """Read the state dict of a checkpoint file (foreign or mmengine).

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
    obj = load_weights_only(
        path, 'Pass a .pth file holding a state dict (e.g. the original '
        'Panoptic-DeepLab\'s final_state.pth) or a checkpoint with a '
        '"state_dict" entry.')
    return strip_ddp_prefix(_pick_state_dict(obj, path))


def conversion_meta(src: str,
                    config_path: str,
                    converter: str,
                    source_format: Optional[str] = None) -> dict:
    """The ``meta`` of a converted checkpoint: source file name and sha256,
    its format (when given), the config's file name and the converter."""
    meta = dict(
        converted_from=osp.basename(src), source_sha256=file_sha256(src))
    if source_format is not None:
        meta['source_format'] = source_format
    return dict(
        meta,
        converted_for_config=osp.basename(config_path),
        converter=converter)


def _save(obj: dict, path: str) -> None:
    """``torch.save(obj)`` to ``path`` atomically."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(buffer.getvalue(), path)


def save_converted(state_dict: Dict[str, torch.Tensor],
                   path: str,
                   meta: Optional[dict] = None) -> None:
    """Write ``{'state_dict': ..., 'meta': ...}`` to ``path`` atomically
    (its folder is created if needed); ``meta`` is JSON-like."""
    _save({
        'state_dict': OrderedDict(state_dict),
        'meta': dict(meta or {})
    }, path)


def save_state_dict(state_dict: Dict[str, torch.Tensor], path: str) -> None:
    """Write a bare state dict (e.g. the original's ``final_state.pth``)
    to ``path`` atomically."""
    _save(OrderedDict(state_dict), path)


def is_torch_file(path: str) -> bool:
    """Whether ``path`` was written by ``torch.save`` (zip or legacy)."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, 'rb') as f:
        return f.read(len(LEGACY_TORCH_HEADER)) == LEGACY_TORCH_HEADER


def _to_tensor(name: str, value, path: str) -> torch.Tensor:
    if torch.is_tensor(value):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in 'biuf':
        return torch.from_numpy(np.array(value))  # a writable copy
    raise CheckpointFormatError(
        f'{path}: model entry {name!r} is a {type(value).__name__}'
        f'{" of dtype " + str(value.dtype) if hasattr(value, "dtype") else ""}'
        ', not a numeric array or tensor; this is not a detectron2 model '
        'checkpoint.')


def read_detectron2_state_dict(path: str) -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of a detectron2 ``.pkl`` or ``.pth`` checkpoint.

    A ``torch.save`` file (zip, or the legacy format of PyTorch < 1.6 in
    which older detectron2 trainers, e.g. the original's ``tools_d2``, may
    have saved) is read with ``torch.load(weights_only=True)``; anything
    else with the numpy-only unpickler. The weights are
    the ``'model'`` entry (or the whole dict if it has none); numpy arrays
    become tensors of the same dtype and shape; a ``module.`` prefix on every
    key is removed.

    Args:
        path (str): ``model_final_*.pkl`` or a ``.pth`` of its Checkpointer.

    Returns:
        OrderedDict[str, Tensor]: detectron2 key -> CPU tensor.

    Raises:
        FileNotFoundError, CheckpointFormatError, UnsafePickleError.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    if is_torch_file(path):
        obj = load_weights_only(
            path, 'Pass detectron2\'s model-zoo .pkl or a .pth of its '
            'DetectionCheckpointer.')
    else:
        obj = load_numpy_pickle(path)
    if isinstance(obj, dict) and 'model' in obj:
        obj = obj['model']
    if not isinstance(obj, dict) or not obj:
        raise CheckpointFormatError(
            f'{path} holds no model weights: expected a dict with a "model" '
            'entry of arrays (detectron2\'s .pkl / .pth), got '
            f'{type(obj).__name__}.')
    return strip_ddp_prefix(
        OrderedDict((str(k), _to_tensor(k, v, path)) for k, v in obj.items()))


def save_detectron2_pkl(state_dict: Dict[str, torch.Tensor], path: str,
                        author: str) -> None:
    """Write a state dict as detectron2's model zoo does, atomically: a
    pickle of ``{'model': {name: numpy array}, '__author__': author,
    'matching_heuristics': False}`` (its ``DetectionCheckpointer`` loads
    it by exact names).

    Args:
        state_dict (dict[str, Tensor]): detectron2 key -> tensor.
        path (str): Destination ``.pkl``.
        author (str): Stored as ``__author__`` (detectron2 logs it).
    """
    model = {
        k: np.array(v.detach().cpu().numpy(), order='C')
        for k, v in state_dict.items()
    }
    atomic_write_bytes(
        pickle.dumps(
            dict(model=model, __author__=author, matching_heuristics=False),
            protocol=4), path)
