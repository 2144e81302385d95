"""Every way of loading weights refuses a pickle that runs code.

A local HTTP server (127.0.0.1, a thread of this process) serves
``evil.pth``: a valid state dict plus an object whose unpickling would
create a marker file. Each loading path must raise and leave no marker; the
same paths still load a plain checkpoint from the same server.
"""
import functools
import http.server
import os
import pickle
import threading

import pytest
import torch
import torch.nn as nn
import torchvision
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner import checkpoint as mm_ckpt

from mmpdl.apis import PanopticInferencer, init_model
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART


class _CreatesMarker:
    """Unpickles as ``open(path, 'w')``: creates ``path`` on the disk."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


class _LinearModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, mode='tensor'):
        return self.linear(x)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """``(base_url, folder, marker)``: files put in ``folder`` are served at
    ``base_url + name``; ``evil.pth`` would create ``marker``."""
    folder = tmp_path_factory.mktemp('served')
    marker = str(tmp_path_factory.mktemp('marker') / 'pwned')
    torch.save(
        {
            'state_dict': {
                'w': torch.zeros(1)
            },
            'payload': _CreatesMarker(marker)
        }, folder / 'evil.pth')
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}/', folder, marker
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def hub_cache(tmp_path, monkeypatch):
    """A fresh torch hub cache per test: every URL is downloaded again."""
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))


def _backbone(checkpoint):
    register_all_modules()
    return MODELS.build(
        dict(
            type='TorchvisionResNet',
            depth=18,
            init_cfg=dict(type='Pretrained', checkpoint=checkpoint)))


def _runner_load_from(url, work_dir):
    runner = Runner(
        model=_LinearModel(),
        work_dir=str(work_dir),
        load_from=url,
        default_scope='mmengine')
    runner.load_or_resume()
    return runner


def _tv_weights_url(monkeypatch, url):
    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    monkeypatch.setattr(weights.value, 'url', url)


def _load_all_ways(way, url, monkeypatch, tmp_path):
    """Load ``url`` through the loading path named ``way``."""
    if way == 'init_model':
        return init_model(QUICKSTART, url, device='cpu')
    if way == 'inferencer':
        return PanopticInferencer(QUICKSTART, url, device='cpu')
    if way == 'runner_load_from':
        return _runner_load_from(url, tmp_path / 'work')
    if way == 'backbone_pretrained':
        return _backbone(url).init_weights()
    if way == 'torchvision_scheme':
        monkeypatch.setattr(mm_ckpt, 'get_torchvision_models',
                            lambda: {'resnet18': url})
        return _backbone('torchvision://resnet18').init_weights()
    if way == 'openmmlab_scheme':
        monkeypatch.setattr(mm_ckpt, 'get_external_models',
                            lambda: {'test/resnet18': url})
        return _backbone('open-mmlab://test/resnet18').init_weights()
    if way == 'torchvision_weights':
        _tv_weights_url(monkeypatch, url)
        return torchvision.models.resnet18(weights='IMAGENET1K_V1')
    if way == 'torch_hub':
        return torch.hub.load_state_dict_from_url(url, weights_only=False)
    raise AssertionError(way)


WAYS = ('init_model', 'inferencer', 'runner_load_from', 'backbone_pretrained',
        'torchvision_scheme', 'openmmlab_scheme', 'torchvision_weights',
        'torch_hub')


@pytest.mark.parametrize('way', WAYS)
def test_malicious_checkpoint_is_refused(way, server, monkeypatch, tmp_path):
    base_url, _, marker = server
    with pytest.raises(pickle.UnpicklingError, match='Weights only load'):
        _load_all_ways(way, base_url + 'evil.pth', monkeypatch, tmp_path)
    assert not os.path.exists(marker), f'{way} ran the pickled payload'


def test_local_malicious_checkpoint_is_refused(server, tmp_path):
    _, folder, marker = server
    with pytest.raises(pickle.UnpicklingError, match='Weights only load'):
        init_model(QUICKSTART, str(folder / 'evil.pth'), device='cpu')
    assert not os.path.exists(marker)


def _assert_same_weights(module, state_dict):
    ours = module.state_dict()
    for key, value in state_dict.items():
        torch.testing.assert_close(ours[key], value, rtol=0, atol=0)


def test_plain_checkpoints_still_load_over_http(server, monkeypatch, tmp_path):
    base_url, folder, _ = server
    torch.manual_seed(1)
    reference = _backbone(None)
    torch.save(reference.state_dict(), folder / 'backbone.pth')
    loaded = _backbone(base_url + 'backbone.pth')
    loaded.init_weights()
    _assert_same_weights(loaded, reference.state_dict())

    monkeypatch.setattr(mm_ckpt, 'get_torchvision_models',
                        lambda: {'resnet18': base_url + 'backbone.pth'})
    by_scheme = _backbone('torchvision://resnet18')
    by_scheme.init_weights()
    _assert_same_weights(by_scheme, reference.state_dict())

    classifier = torchvision.models.resnet18()
    torch.save(classifier.state_dict(), folder / 'classifier.pth')
    _tv_weights_url(monkeypatch, base_url + 'classifier.pth')
    pretrained = torchvision.models.resnet18(weights='IMAGENET1K_V1')
    _assert_same_weights(pretrained, classifier.state_dict())

    register_all_modules()
    from mmengine import Config
    from mmengine.model import revert_sync_batchnorm
    net = revert_sync_batchnorm(
        MODELS.build(Config.fromfile(QUICKSTART).model))
    torch.save({'state_dict': net.state_dict()}, folder / 'model.pth')
    model = init_model(QUICKSTART, base_url + 'model.pth', device='cpu')
    _assert_same_weights(model, net.state_dict())
