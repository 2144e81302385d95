"""Fixtures of the deployment tests: small random-weight checkpoints whose
predictions hold instances, and synthetic scenes."""
import pytest
import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm

from mmpdl.apis import init_model
from mmpdl.datasets import render_scene
from mmpdl.deployment import PanopticExportModule
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART

MOBILENET = ('configs/panoptic_deeplab/'
             'panoptic-deeplab_mobilenetv2-os32_8xb2-90k_cityscapes-'
             '1025x2049.py')


def lively_checkpoint(config: str, path: str, scale: float = 300) -> str:
    """Save random weights of ``config``: the head in PyTorch's default
    init (not the original's N(0, 0.001), whose outputs are nearly
    constant), the center and offset convs times ``scale`` and a 0.3
    center bias, so the heatmap has peaks above the 0.1 threshold, the
    offsets reach a few pixels and the panoptic maps hold instances of
    several classes."""
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    net = revert_sync_batchnorm(MODELS.build(cfg.model))
    head = net.decode_head
    for module in head.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.reset_parameters()  # PyTorch's default init
    for name in ('center', 'offset'):
        head.instance_head[name][-1].weight.data.mul_(scale)
    head.instance_head['center'][-1].bias.data.fill_(0.3)
    torch.save({'state_dict': net.state_dict(), 'meta': {}}, path)
    return path


def export_module(config: str, checkpoint: str, with_postprocess=False):
    """The model of ``config`` and ``checkpoint`` (``init_model``) and its
    :class:`PanopticExportModule`: ``(module, model)``."""
    model = init_model(config, checkpoint, device='cpu')
    return PanopticExportModule(model, with_postprocess), model


@pytest.fixture(scope='session')
def r18_checkpoint(tmp_path_factory):
    """Quickstart model (ResNet-18 os32), lively random weights."""
    folder = tmp_path_factory.mktemp('r18')
    return lively_checkpoint(QUICKSTART, str(folder / 'r18.pth'))


@pytest.fixture(scope='session')
def scene_257x513():
    """A synthetic street scene, (257, 513, 3) uint8 BGR."""
    rgb, _ = render_scene(257, 513, 7)
    return rgb[..., ::-1].copy()


@pytest.fixture(autouse=True)
def one_torch_thread():
    """PyTorch's CPU kernels sum in an order that depends on the thread
    count, and an exported model's maps equal PyTorch's only up to
    semantic-logit near-ties (``mmpdl.deployment.verify``'s rule). The
    tests compare maps and pictures pixel for pixel, so the PyTorch side
    runs with one thread: its sums then do not depend on the machine's core
    count (with two threads, two pixels of the r18 scene flip class at a
    near-tie on this project's machines)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
