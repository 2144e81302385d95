"""Reading original checkpoints and writing converted ones."""
import hashlib
from collections import OrderedDict

import pytest
import torch

from mmpdl.converters.checkpoint_io import (CheckpointFormatError, file_sha256,
                                            read_state_dict, save_converted,
                                            save_state_dict)

STATE = OrderedDict([('conv.weight', torch.arange(6.).view(2, 3)),
                     ('bn.num_batches_tracked', torch.tensor(7))])


def _assert_same(a, b):
    assert list(a) == list(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize('wrap', ['bare', 'state_dict', 'ddp', 'ddp+dict'])
def test_reads_every_original_layout(tmp_path, wrap):
    state = STATE
    if 'ddp' in wrap:
        state = OrderedDict(('module.' + k, v) for k, v in state.items())
    obj = state
    if wrap != 'bare' and wrap != 'ddp':
        # as the original's train_net.py saves intermediate checkpoints
        obj = dict(state_dict=state, start_iter=5, optimizer={'state': {}})
    path = tmp_path / 'ckpt.pth'
    torch.save(obj, path)
    _assert_same(read_state_dict(str(path)), STATE)


def test_module_prefix_kept_unless_on_every_key(tmp_path):
    state = OrderedDict([('module.a', torch.ones(1)), ('b', torch.ones(1))])
    path = tmp_path / 'ckpt.pth'
    torch.save(state, path)
    assert list(read_state_dict(str(path))) == ['module.a', 'b']


class _Arbitrary:
    pass


@pytest.mark.parametrize('content,match', [
    (b'this is a text file, not a checkpoint', 'not a PyTorch checkpoint'),
    ('pickled-object', 'weights_only=True'),
    ('list', 'holds a list'),
    ('no-tensors', 'not a state dict'),
])
def test_non_checkpoints_give_clear_errors(tmp_path, content, match):
    path = tmp_path / 'bad.pth'
    if content == 'pickled-object':
        # a pickle with an arbitrary class: weights_only must refuse it
        torch.save({'state_dict': STATE, 'obj': _Arbitrary()}, path)
    elif content == 'list':
        torch.save([torch.ones(1)], path)
    elif content == 'no-tensors':
        torch.save({'epoch': 3, 'name': 'x'}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(CheckpointFormatError, match=match) as info:
        read_state_dict(str(path))
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        read_state_dict(str(tmp_path / 'nope.pth'))


def test_loading_uses_weights_only(tmp_path, monkeypatch):
    seen = {}
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_load(*args, **kwargs)

    path = tmp_path / 'ckpt.pth'
    torch.save(STATE, path)
    monkeypatch.setattr(torch, 'load', spy)
    read_state_dict(str(path))
    assert seen['weights_only'] is True


def test_saved_files_round_trip_with_meta_and_sha(tmp_path):
    path = tmp_path / 'out' / 'converted.pth'
    save_converted(STATE, str(path), meta=dict(config='x.py'))
    loaded = torch.load(path, weights_only=True)
    assert loaded['meta'] == dict(config='x.py')
    _assert_same(loaded['state_dict'], STATE)
    assert file_sha256(str(path)) == hashlib.sha256(
        path.read_bytes()).hexdigest()
    bare = tmp_path / 'bare.pth'
    save_state_dict(STATE, str(bare))
    _assert_same(torch.load(bare, weights_only=True), STATE)
    # nothing but the two results is left in the folders (no temp files)
    assert sorted(p.name for p in tmp_path.rglob('*')
                  if p.is_file()) == ['bare.pth', 'converted.pth']
