"""The numpy-only unpickler: arrays and plain data load, code never runs."""
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

from mmpdl.utils.safe_load import UnsafePickleError, load_numpy_pickle

DTYPES = ('float32', 'float64', 'float16', 'int64', 'int32', 'uint8', 'bool')


class _Touches:
    """Unpickles as ``os.system('touch PATH')`` under a plain unpickler."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f'touch {self.path}', ))


class _OpensForWriting:
    """Unpickles as ``open(PATH, 'w')``: creates PATH."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


class _Plain:
    """An arbitrary class of this test module."""


@pytest.mark.parametrize('protocol', [0, 2, 4, 5])
def test_arrays_of_several_dtypes_and_plain_containers(tmp_path, protocol):
    rng = np.random.default_rng(0)
    model = OrderedDict()
    for i, dtype in enumerate(DTYPES):
        shape = (3, i + 1, 2)
        model[f'layer{i}.weight'] = (rng.standard_normal(shape) *
                                     100).astype(dtype)
    model['scalar_array'] = np.array(7, dtype=np.int64)
    model['fortran'] = np.asfortranarray(np.arange(6.).reshape(2, 3))
    data = {
        'model': model,
        '__author__': 'Detectron2 Model Zoo',
        'matching_heuristics': True,
        'extra': [1, 2.5, None, ('a', b'bytes'), {3, 4}],
        'numpy_scalar': np.float32(1.5),
    }
    path = tmp_path / 'model_final.pkl'
    path.write_bytes(pickle.dumps(data, protocol=protocol))

    loaded = load_numpy_pickle(str(path))
    assert type(loaded['model']) is OrderedDict
    assert list(loaded['model']) == list(model)
    for key, array in model.items():
        got = loaded['model'][key]
        assert got.dtype == array.dtype and got.shape == array.shape, key
        assert np.array_equal(got, array), key
    assert loaded['__author__'] == 'Detectron2 Model Zoo'
    assert loaded['extra'] == [1, 2.5, None, ('a', b'bytes'), {3, 4}]
    assert loaded['numpy_scalar'] == np.float32(1.5)


@pytest.mark.parametrize('payload,refused', [
    (_Touches, 'system'),
    (_OpensForWriting, 'io.open'),
])
def test_code_in_a_pickle_is_refused_and_never_runs(tmp_path, payload,
                                                    refused):
    marker = tmp_path / 'marker'
    data = {
        'model': {
            'w': np.ones(3, np.float32)
        },
        '__author__': payload(str(marker))
    }
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps(data, protocol=2))
    with pytest.raises(UnsafePickleError) as info:
        load_numpy_pickle(str(path))
    message = str(info.value)
    assert str(path) in message and refused in message
    assert not marker.exists()


def test_hand_written_protocol_0_pickle_calling_os_system(tmp_path):
    marker = tmp_path / 'marker'
    # GLOBAL 'os system', MARK, STRING, TUPLE, REDUCE, STOP
    evil = (b'cos\nsystem\n(S\'touch ' + str(marker).encode() + b'\'\ntR.')
    path = tmp_path / 'evil.pkl'
    path.write_bytes(evil)
    with pytest.raises(UnsafePickleError, match=r'os\.system'):
        load_numpy_pickle(str(path))
    assert not marker.exists()


@pytest.mark.parametrize('obj,name', [
    (_Plain(), '_Plain'),
    (eval, 'builtins.eval'),
    (np.load, 'numpy.load'),
])
def test_other_globals_are_refused(tmp_path, obj, name):
    path = tmp_path / 'other.pkl'
    path.write_bytes(pickle.dumps({'model': {'x': obj}}))
    with pytest.raises(UnsafePickleError, match=name) as info:
        load_numpy_pickle(str(path))
    assert 'nothing in the file was run' in str(info.value)


def test_truncated_and_missing_files(tmp_path):
    path = tmp_path / 'cut.pkl'
    path.write_bytes(pickle.dumps({'w': np.ones(100)})[:50])
    with pytest.raises(pickle.UnpicklingError, match='cut.pkl'):
        load_numpy_pickle(str(path))
    with pytest.raises(FileNotFoundError, match='nope.pkl'):
        load_numpy_pickle(str(tmp_path / 'nope.pkl'))
