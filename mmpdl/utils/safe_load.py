"""Every way of loading weights unpickles with ``weights_only=True``.

mmengine's ``CheckpointLoader`` picks a loader by the checkpoint's prefix
(local path, ``http(s)://``, ``torchvision://``, ``open-mmlab://``,
``mmcls://``, ``pavi://``, ``s3://``); its URL loaders end in
``torch.hub.load_state_dict_from_url``, which unpickles arbitrary objects
unless asked not to, and torchvision's ``weights=``/``pretrained=`` path
calls the same function. :func:`install_safe_loaders` registers a loader of
this module for every prefix and makes torch's and torchvision's URL loaders
always pass ``weights_only=True``, so a checkpoint can hold only tensors,
plain containers and the allow-list of :mod:`mmpdl.utils.compat`.

Foreign pickles that are not ``torch.save`` files (detectron2's ``.pkl``:
a pickled dict of numpy arrays) are read by :func:`load_numpy_pickle`, whose
unpickler resolves only the globals that numpy arrays, numpy scalars and
ordered dicts need; ``pickle`` itself has no allow-list option.
"""
import functools
import importlib
import io
import os
import os.path as osp
import pickle
import warnings
from tempfile import TemporaryDirectory

import numpy as np
import torch

# the functions replaced by :func:`install_safe_loaders`, kept to call them
_ORIGINALS = {}


def _torch_load_url():
    return _ORIGINALS.get('torch.hub', torch.hub.load_state_dict_from_url)


def load_url_weights_only(url, *args, **kwargs):
    """``torch.hub.load_state_dict_from_url`` with ``weights_only=True``.

    Downloads ``url`` to torch's hub cache (``$TORCH_HOME/hub/checkpoints``)
    once, then unpickles it with ``weights_only=True``, whatever the caller
    asked for.

    Args:
        url (str): An ``http(s)://`` address of a ``torch.save`` file.
        *args, **kwargs: As ``torch.hub.load_state_dict_from_url``
            (``model_dir``, ``map_location``, ``progress``, ``check_hash``,
            ``file_name``).

    Returns:
        dict: The loaded object (tensors and plain containers only).
    """
    kwargs['weights_only'] = True
    return drop_executable_meta(_torch_load_url()(url, *args, **kwargs), url)


#: ``meta`` keys of a checkpoint that mmengine would run as Python:
#: ``Runner.resume`` calls ``Config.fromstring(meta['config'], '.py')``.
#: mmengine's own checkpoints keep the config under ``meta['cfg']``, which
#: nothing runs, so a genuine checkpoint never holds these.
EXECUTED_META_KEYS = ('config', )


def drop_executable_meta(checkpoint, source: str):
    """Remove the ``meta`` entries mmengine would execute, with a warning
    that names ``source``; the checkpoint is otherwise unchanged.

    Args:
        checkpoint: What ``torch.load`` returned.
        source (str): The checkpoint's path or URL.

    Returns:
        The same object.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if not isinstance(meta, dict):
        return checkpoint
    for key in EXECUTED_META_KEYS:
        if key in meta:
            del meta[key]
            warnings.warn(
                f'checkpoint {source}: dropped meta[{key!r}]: mmengine would '
                'run it as Python code when resuming, and no checkpoint '
                'written by mmengine or mmpdl holds it; the weights and the '
                'rest of the checkpoint are used as they are')
    return checkpoint


def _torch_load(source, map_location=None, name=None):
    checkpoint = torch.load(
        source, map_location=map_location, weights_only=True)
    return drop_executable_meta(checkpoint, name or str(source))


def load_from_local(filename, map_location=None):
    """A local ``.pth`` file (prefix-less path)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return _torch_load(filename, map_location)


def load_from_http(filename,
                   map_location=None,
                   model_dir=None,
                   progress=os.isatty(0)):
    """An ``http(s)://`` checkpoint; in distributed runs rank 0 downloads
    it first and the other ranks read the cached file after a barrier."""
    from mmengine.dist import get_dist_info
    rank, world_size = get_dist_info()
    load = functools.partial(
        load_url_weights_only,
        filename,
        model_dir=model_dir,
        map_location=map_location,
        progress=progress)
    checkpoint = load() if rank == 0 else None
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = load()
    return checkpoint


def load_from_torchvision(filename, map_location=None):
    """``torchvision://NAME`` (or the old ``modelzoo://NAME``): a
    torchvision ImageNet checkpoint by model name."""
    from mmengine.runner import checkpoint as mm_ckpt
    name = filename.split('://', 1)[1]
    urls = mm_ckpt.get_torchvision_models()
    if name not in urls:
        raise KeyError(f'{filename}: torchvision has no weights named '
                       f'{name!r}; e.g. torchvision://resnet50')
    return load_from_http(urls[name], map_location=map_location)


def load_from_openmmlab(filename, map_location=None):
    """``open-mmlab://NAME`` / ``openmmlab://NAME``: an OpenMMLab model
    zoo checkpoint (a URL, or a path under mmengine's home)."""
    from mmengine.runner import checkpoint as mm_ckpt
    name = filename.split('://', 1)[1]
    name = mm_ckpt.get_deprecated_model_names().get(name, name)
    urls = mm_ckpt.get_external_models()
    if name not in urls:
        raise KeyError(f'{filename}: the OpenMMLab model zoo has no '
                       f'checkpoint named {name!r}')
    url = urls[name]
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location=map_location)
    return load_from_local(
        osp.join(mm_ckpt._get_mmengine_home(), url), map_location)


def load_from_mmcls(filename, map_location=None):
    """``mmcls://NAME``: an MMClassification checkpoint, its backbone keys
    renamed as mmengine does."""
    from mmengine.runner import checkpoint as mm_ckpt
    urls = mm_ckpt.get_mmcls_models()
    checkpoint = load_from_http(
        urls[filename[len('mmcls://'):]], map_location=map_location)
    return mm_ckpt._process_mmcls_checkpoint(checkpoint)


def load_from_pavi(filename, map_location=None):
    """``pavi://PATH``: downloaded from PAVI model cloud to a temp dir."""
    try:
        from pavi import modelcloud
    except ImportError:
        raise ImportError('pavi:// checkpoints need the pavi package')
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as tmp_dir:
        downloaded = osp.join(tmp_dir, model.name)
        model.download(downloaded)
        return _torch_load(downloaded, map_location, filename)


def load_from_ceph(filename, map_location=None, backend='petrel'):
    """``s3://`` / ``petrel://`` (optionally ``name:s3://``): read through
    mmengine's file backend."""
    from mmengine.fileio import get_file_backend
    file_backend = get_file_backend(
        filename, backend_args={'backend': backend})
    with io.BytesIO(file_backend.get(filename)) as buffer:
        return _torch_load(buffer, map_location, filename)


# the prefixes exactly as mmengine registers them
SAFE_LOADERS = (
    ('', load_from_local),
    (('http://', 'https://'), load_from_http),
    (('modelzoo://', 'torchvision://'), load_from_torchvision),
    (('open-mmlab://', 'openmmlab://'), load_from_openmmlab),
    ('mmcls://', load_from_mmcls),
    ('pavi://', load_from_pavi),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'), load_from_ceph),
)


def _patch_url_loaders():
    """Make torch's and torchvision's URL loaders use ``weights_only``."""
    import torch.utils.model_zoo
    import torchvision.models._api as tv_api
    _ORIGINALS.setdefault('torch.hub', torch.hub.load_state_dict_from_url)
    torch.hub.load_state_dict_from_url = load_url_weights_only
    torch.utils.model_zoo.load_url = load_url_weights_only
    # torchvision's ``WeightsEnum.get_state_dict`` (``weights=`` and
    # ``pretrained=``) holds its own reference to the torch function
    tv_api.load_state_dict_from_url = load_url_weights_only


def install_safe_loaders():
    """Register this module's loaders for every mmengine checkpoint prefix
    and patch the URL loaders of torch and torchvision (idempotent)."""
    from mmengine.runner import CheckpointLoader
    for prefixes, loader in SAFE_LOADERS:
        CheckpointLoader.register_scheme(prefixes, loader, force=True)
    _patch_url_loaders()


#: the only globals a pickle of numpy arrays in plain containers refers to
#: (``numpy.core`` is numpy 1's name of ``numpy._core``; ``_codecs.encode``
#: carries bytes and ``set`` / ``frozenset`` sets in protocols < 4;
#: ``__builtin__`` is Python 2's ``builtins``; ``scalar`` makes numpy
#: scalars)
NUMPY_PICKLE_GLOBALS = frozenset([
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy._core.numeric', '_frombuffer'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'),
    ('_codecs', 'encode'),
    ('collections', 'OrderedDict'),
    ('builtins', 'set'),
    ('builtins', 'frozenset'),
    ('__builtin__', 'set'),
    ('__builtin__', 'frozenset'),
])


def _import_name(module: str) -> str:
    """``numpy.core.*`` / ``numpy._core.*`` as the installed numpy names
    it (numpy 2 renamed the package; pickles carry either name), Python 2's
    ``__builtin__`` as ``builtins``."""
    if module == '__builtin__':
        return 'builtins'
    installed = 'numpy.core.' if np.__version__.startswith('1.') \
        else 'numpy._core.'
    for prefix in ('numpy.core.', 'numpy._core.'):
        if module.startswith(prefix):
            return installed + module[len(prefix):]
    return module


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle refers to a global outside :data:`NUMPY_PICKLE_GLOBALS`."""


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` resolves only the allow-list."""

    def __init__(self, file, source: str):
        super().__init__(file, encoding='latin1')
        self.source = source

    def find_class(self, module: str, name: str):
        if (module, name) not in NUMPY_PICKLE_GLOBALS:
            raise UnsafePickleError(
                f'{self.source} refers to the global {module}.{name}, which '
                'a pickle of numpy arrays in plain containers never needs; '
                'it was refused and nothing in the file was run. Only load '
                'checkpoints from a source you trust (allowed globals: '
                f'{sorted(".".join(g) for g in NUMPY_PICKLE_GLOBALS)}).')
        return getattr(importlib.import_module(_import_name(module)), name)


def load_numpy_pickle(path: str) -> object:
    """Unpickle a file that may hold only numpy arrays and plain data.

    Accepted: dicts, lists, tuples, sets, strings, bytes, numbers, None,
    booleans, ``OrderedDict``, numpy arrays, dtypes and scalars (pickle
    protocols 0-5; Python 2 pickles are read with ``encoding='latin1'``).
    Any other global (``os.system``, ``builtins.eval``, a class) is refused
    before it is resolved, so nothing of the file runs.

    Args:
        path (str): A pickle file, e.g. detectron2's ``model_final_*.pkl``.

    Returns:
        object: The unpickled object (arrays keep their dtype and shape).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafePickleError: naming ``path`` and the refused global.
        pickle.UnpicklingError: the file is not a (complete) pickle.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'pickle file not found: {path}')
    with open(path, 'rb') as f:
        try:
            return _NumpyOnlyUnpickler(f, path).load()
        except UnsafePickleError:
            raise
        except Exception as err:  # truncated or foreign bytes
            raise pickle.UnpicklingError(
                f'{path} is not a readable pickle ({type(err).__name__}: '
                f'{err})') from err
