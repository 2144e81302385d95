"""Reading detectron2 checkpoints: model-zoo .pkl and trainer .pth."""
import pickle

import numpy as np
import pytest
import torch

from mmpdl.converters.checkpoint_io import (CheckpointFormatError,
                                            read_detectron2_state_dict)
from mmpdl.converters.detectron2 import split_extras
from mmpdl.utils.safe_load import UnsafePickleError

ARRAYS = {
    'backbone.stem.conv1.weight':
    np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
    'backbone.stem.conv1.norm.running_var':
    np.ones(2, np.float64),
    'backbone.stem.conv1.norm.num_batches_tracked':
    np.array(5, np.int64),
    'pixel_mean':
    np.array([1., 2., 3.], np.float32).reshape(3, 1, 1),
}


def _assert_same(state, arrays):
    assert list(state) == list(arrays)
    for key, array in arrays.items():
        assert torch.is_tensor(state[key]), key
        assert state[key].dtype == torch.from_numpy(array).dtype, key
        assert np.array_equal(state[key].numpy(), array), key


@pytest.mark.parametrize('layout', ['model-zoo', 'caffe2', 'module'])
def test_pkl_layouts(tmp_path, layout):
    arrays = dict(ARRAYS)
    if layout == 'module':
        obj = {'model': {'module.' + k: v for k, v in arrays.items()}}
    elif layout == 'caffe2':
        obj = arrays
    else:
        obj = {'model': arrays, '__author__': 'Detectron2 Model Zoo'}
    path = tmp_path / 'model_final.pkl'
    path.write_bytes(pickle.dumps(obj, protocol=2))
    _assert_same(read_detectron2_state_dict(str(path)), ARRAYS)


def test_trainer_pth(tmp_path):
    path = tmp_path / 'model_0004999.pth'
    state = {k: torch.from_numpy(v) for k, v in ARRAYS.items()}
    torch.save({'model': state, 'iteration': 4999}, path)
    _assert_same(read_detectron2_state_dict(str(path)), ARRAYS)
    weights, pixel, counters = split_extras(
        read_detectron2_state_dict(str(path)))
    assert list(weights) == list(ARRAYS)[:2]
    assert list(pixel) == ['pixel_mean']
    assert list(counters) == list(ARRAYS)[2:3]


@pytest.mark.parametrize('model,match', [
    ({
        'w': np.array(['a', 'b'])
    }, "'w' is a ndarray of dtype <U1"),
    ({
        'w': [1.0, 2.0]
    }, "'w' is a list"),
    ([np.ones(2)], 'holds no model weights'),
])
def test_not_a_detectron2_model(tmp_path, model, match):
    path = tmp_path / 'bad.pkl'
    path.write_bytes(
        pickle.dumps({'model': model} if isinstance(model, dict) else model))
    with pytest.raises(CheckpointFormatError, match=match) as info:
        read_detectron2_state_dict(str(path))
    assert str(path) in str(info.value)


def test_pth_with_code_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'model': {'w': torch.ones(1)}, 'x': _Obj()}, path)
    with pytest.raises(CheckpointFormatError, match='weights_only'):
        read_detectron2_state_dict(str(path))
    pkl = tmp_path / 'evil.pkl'
    pkl.write_bytes(pickle.dumps({'model': {'w': _Obj()}}))
    with pytest.raises(UnsafePickleError, match='_Obj'):
        read_detectron2_state_dict(str(pkl))


class _Obj:
    pass
