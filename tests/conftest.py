"""Fixtures shared by the test folders: an untrained quickstart model and
the built-in Cityscapes-layout data; PyTorch's deterministic mode restored
after every test."""
import os

import pytest
import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm

from mmpdl.datasets import make_synthetic_cityscapes
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART

# cuBLAS is deterministic with a fixed workspace (PyTorch asks for it when a
# test's Runner turns deterministic mode on with CUDA present); it must be
# set before CUDA starts
os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')


@pytest.fixture(autouse=True)
def restore_deterministic_mode():
    """A Runner with ``randomness.deterministic=True`` switches PyTorch's
    process-wide deterministic mode (and cuDNN's flags) on; later tests in
    the same process must not inherit it (on CUDA, operations without a
    deterministic kernel would raise)."""
    cudnn = torch.backends.cudnn
    before = (torch.are_deterministic_algorithms_enabled(),
              cudnn.deterministic, cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(before[0])
    cudnn.deterministic, cudnn.benchmark = before[1:]


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory):
    """Random weights of the quickstart model, except a center-head bias
    of 0.5 so that the heatmap has peaks above the 0.1 threshold and the
    predictions hold instances."""
    register_all_modules()
    torch.manual_seed(0)
    net = revert_sync_batchnorm(
        MODELS.build(Config.fromfile(QUICKSTART).model))
    net.decode_head.instance_head.center[1].bias.data.fill_(0.5)
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save({'state_dict': net.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture(scope='session')
def synthetic_cityscapes(tmp_path_factory):
    """``make(*args, **kwargs)``: the folder of the built-in
    Cityscapes-layout data that ``make_synthetic_cityscapes(folder, *args,
    **kwargs)`` writes, written once per session for the same arguments
    (a test that changes files works on a copy)."""
    folders = {}

    def make(*args, **kwargs):
        key = repr((args, sorted(kwargs.items())))
        if key not in folders:
            folders[key] = str(tmp_path_factory.mktemp('cityscapes'))
            make_synthetic_cityscapes(folders[key], *args, **kwargs)
        return folders[key]

    return make
