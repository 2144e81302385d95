"""The mmcv.ops stand-in and the weights_only allow-list."""
import importlib
import os
import subprocess
import sys
import types

import pytest
import torch

import mmpdl  # noqa: F401
from mmpdl.utils import compat


def _mmcv_has_compiled_ops():
    return not getattr(sys.modules.get('mmcv.ops'), 'MMPDL_SHIM', False)


def test_mmseg_modules_import_after_mmpdl():
    for name in ('mmseg.models', 'mmseg.datasets', 'mmseg.evaluation',
                 'mmseg.apis'):
        importlib.import_module(name)


@pytest.mark.skipif(_mmcv_has_compiled_ops(), reason='full mmcv installed')
def test_stubbed_op_raises_clear_error():
    import mmcv.ops
    with pytest.raises(RuntimeError) as err:
        mmcv.ops.CrissCrossAttention(16)
    assert str(err.value) == ('mmcv.ops.CrissCrossAttention needs mmcv built '
                              'with its compiled ops')
    from mmcv.ops import sigmoid_focal_loss
    with pytest.raises(RuntimeError, match='sigmoid_focal_loss'):
        sigmoid_focal_loss(torch.zeros(1), torch.zeros(1))
    # type checks on a missing op are harmless (mmseg's optimizer
    # constructor does ``isinstance(m, DeformConv2d)``)
    assert not isinstance(torch.nn.Conv2d(1, 1, 1), mmcv.ops.DeformConv2d)
    with pytest.raises(AttributeError):
        mmcv.ops.__wrapped__


@pytest.mark.skipif(_mmcv_has_compiled_ops(), reason='full mmcv installed')
def test_point_sample_is_mmcvs_pure_torch_function():
    from mmcv.ops import point_sample
    assert point_sample.__module__ == 'mmcv.ops.point_sample'
    # 2x2 map [[0, 1], [2, 3]]; points in [0, 1] image coordinates with
    # align_corners=False: pixel centres at 0.25 and 0.75.
    feat = torch.tensor([[[[0., 1.], [2., 3.]]]])
    points = torch.tensor([[[0.25, 0.25], [0.75, 0.25], [0.5, 0.5]]])
    out = point_sample(feat, points, align_corners=False)
    # x=0.25,y=0.25 -> 0; x=0.75,y=0.25 -> 1; centre -> mean 1.5
    assert torch.allclose(out, torch.tensor([[[0., 1., 1.5]]]))


def test_full_mmcv_ops_is_left_alone(monkeypatch):
    real = types.ModuleType('mmcv.ops')
    monkeypatch.setitem(sys.modules, 'mmcv.ops', real)
    assert compat.install_mmcv_ops_shim() is False
    assert sys.modules['mmcv.ops'] is real


class _RunsCommand:
    """An object whose unpickling would run a shell command."""

    def __reduce__(self):
        return (os.system, ('echo pwned', ))


class _AsksForInit:
    """Unpickles as ``getattr(HistoryBuffer, '__init__')``."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return (getattr, (HistoryBuffer, '__init__'))


def test_arbitrary_objects_are_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _RunsCommand()}, path)
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(path)


def test_getattr_is_restricted_to_history_buffer_methods(tmp_path):
    from mmengine.logging import HistoryBuffer
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _AsksForInit()}, path)
    with pytest.raises(Exception, match='only allows'):
        torch.load(path)
    # a fresh process has built no HistoryBuffer yet: its statistics
    # methods must still resolve
    code = ('import torch, mmpdl; b = torch.load(%r)["buf"]; '
            'print(b.mean())')
    buf = HistoryBuffer()
    buf.update(2.0)
    buf.update(4.0)
    ok_path = tmp_path / 'buffer.pth'
    torch.save({'buf': buf}, ok_path)
    loaded = torch.load(ok_path)['buf']
    assert loaded.mean() == 3.0 and loaded.max() == 4.0
    proc = subprocess.run([sys.executable, '-c', code % str(ok_path)],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == '3.0'


def test_weights_only_stays_default():
    import inspect
    src = inspect.getsource(compat)
    assert 'weights_only=False' not in src


@pytest.mark.skipif(_mmcv_has_compiled_ops(), reason='full mmcv installed')
def test_no_missing_op_warning_with_the_stand_in():
    code = ('import mmpdl, mmcv.ops, mmseg.models; '
            'assert mmcv.ops.MMPDL_SHIM')
    proc = subprocess.run([sys.executable, '-W', 'default', '-c', code],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert 'MultiScaleDeformableAttention' not in proc.stderr
