"""Compatibility fixes applied once when ``mmpdl`` is imported.

1. ``mmcv.ops`` without compiled ops (mmcv-lite): mmseg imports a few names
   from it at module level. We install a stand-in module that serves mmcv's
   own pure-PyTorch ``point_sample`` (loaded from mmcv's file, not copied) and,
   for any other name, a placeholder class that raises a clear RuntimeError
   when it is called. A full mmcv is never touched.
2. torch >= 2.6 loads checkpoints with ``weights_only=True``. mmengine's
   checkpoints carry a ``HistoryBuffer`` (message hub) and numpy arrays and
   scalars; exactly those types are allow-listed so resuming works while
   ``weights_only`` stays on for everything else.
3. Every checkpoint prefix of mmengine's ``CheckpointLoader`` (local,
   ``http(s)://``, ``torchvision://``, ``open-mmlab://`` ...) and torch's and
   torchvision's URL loaders go through ``weights_only=True``
   (:mod:`mmpdl.utils.safe_load`).
"""
import importlib
import importlib.util
import os.path as osp
import pickle
import sys
import types
import warnings

NUMPY_DTYPE_NAMES = ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                     'uint16', 'uint32', 'uint64', 'float16', 'float32',
                     'float64')
# filled into ``HistoryBuffer._statistics_methods`` by its constructor, so
# a process that has built none yet must know them
HISTORY_BUFFER_METHODS = frozenset(('min', 'max', 'current', 'mean'))
MISSING_OP_MSG = 'mmcv.ops.{} needs mmcv built with its compiled ops'


class _MissingOpMeta(type):
    """Metaclass whose instances raise when called (instantiated/applied).

    A class (not a function) so that ``isinstance(m, MissingOp)`` still works
    in code that only checks types, e.g. mmseg's optimizer constructor.
    """

    def __call__(cls, *args, **kwargs):
        raise RuntimeError(MISSING_OP_MSG.format(cls.__name__))

    def __getattr__(cls, name):
        if name.startswith('__'):
            raise AttributeError(name)
        # e.g. ``SigmoidFocalLossFunction.apply``
        raise RuntimeError(MISSING_OP_MSG.format(cls.__name__))


def _missing_op(name):
    """Return a placeholder for the compiled op ``mmcv.ops.<name>``."""
    return _MissingOpMeta(name, (), {'__module__': 'mmcv.ops'})


def _load_point_sample_module(mmcv_dir):
    """Load ``mmcv/ops/point_sample.py`` alone (it needs torch only)."""
    path = osp.join(mmcv_dir, 'ops', 'point_sample.py')
    spec = importlib.util.spec_from_file_location('mmcv.ops.point_sample',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _make_ops_module(mmcv_dir):
    """Build the stand-in ``mmcv.ops`` module."""
    ops = types.ModuleType('mmcv.ops')
    ops.__doc__ = ('Stand-in for mmcv.ops installed by mmpdl: mmcv-lite has '
                   'no compiled ops. Install full mmcv<2.2 to use them.')
    ops.__path__ = []
    ops.MMPDL_SHIM = True
    point_sample_mod = _load_point_sample_module(mmcv_dir)
    ops.point_sample = point_sample_mod.point_sample
    ops.bilinear_grid_sample = point_sample_mod.bilinear_grid_sample
    cache = {}

    def __getattr__(name):
        if name.startswith('__'):
            raise AttributeError(name)
        if name not in cache:
            cache[name] = _missing_op(name)
        return cache[name]

    ops.__getattr__ = __getattr__
    return ops, point_sample_mod


def install_mmcv_ops_shim():
    """Install the ``mmcv.ops`` stand-in when mmcv has no compiled ops.

    Returns:
        bool: True when the stand-in was installed (or already is), False
        when the real ``mmcv.ops`` imports fine and was left alone.
    """
    existing = sys.modules.get('mmcv.ops')
    if existing is not None and getattr(existing, 'MMPDL_SHIM', False):
        return True
    try:
        importlib.import_module('mmcv.ops')
        return False
    except ImportError as err:
        if '_ext' not in str(err):
            raise
    for key in [k for k in sys.modules if k.startswith('mmcv.ops')]:
        del sys.modules[key]
    import mmcv
    ops, point_sample_mod = _make_ops_module(osp.dirname(mmcv.__file__))
    sys.modules['mmcv.ops'] = ops
    sys.modules['mmcv.ops.point_sample'] = point_sample_mod
    mmcv.ops = ops
    # mmcv's transformer module warns on import that this op is missing;
    # with the stand-in that is known, and calling it raises anyway.
    warnings.filterwarnings(
        'ignore',
        message='Fail to import ``MultiScaleDeformableAttention``',
        category=UserWarning)
    return True


def history_buffer_getattr(obj, name):
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    A pickled ``HistoryBuffer`` refers to its methods (``min``, ``mean``,
    ...) through ``builtins.getattr``. Allow-listing ``getattr`` itself would
    let a checkpoint reach any attribute, so this stand-in is registered
    under that name instead and answers only that one question.
    """
    from mmengine.logging import HistoryBuffer
    allowed = HISTORY_BUFFER_METHODS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); mmpdl only allows '
        'the statistics methods of mmengine.logging.HistoryBuffer')


def checkpoint_safe_globals():
    """The exact globals an mmengine checkpoint needs beyond torch's defaults.

    Returns:
        list: mmengine's ``HistoryBuffer`` (with its restricted ``getattr``)
        and the numpy array, scalar and dtype constructors that its message
        hub carries.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    # ``np.dtype`` objects are rebuilt through their concrete classes
    # (``numpy.dtypes.Float64DType``, ...): the numeric and bool ones.
    dtype_classes = [type(np.dtype(name)) for name in NUMPY_DTYPE_NAMES]
    return [
        HistoryBuffer, _reconstruct, scalar, np.ndarray, np.dtype,
        (history_buffer_getattr, 'builtins.getattr')
    ] + dtype_classes


def allow_checkpoint_globals():
    """Allow-list :func:`checkpoint_safe_globals` for ``torch.load``.

    ``weights_only`` stays on: any other pickled object is still refused.
    """
    import torch
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(checkpoint_safe_globals())


def apply_compat():
    """Apply every fix of this module (idempotent)."""
    from .safe_load import install_safe_loaders
    install_mmcv_ops_shim()
    allow_checkpoint_globals()
    install_safe_loaders()
