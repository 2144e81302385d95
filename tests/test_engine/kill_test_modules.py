"""A tiny model and dataset for the kill tests (imported by the training
process through ``custom_imports``).

With ``KILL_TEST_PAUSE=<seconds>`` in the environment, every rename and
deletion of a file waits that long first, so that a test can kill the
process inside the windows it wants to probe: a checkpoint written to its
temporary file but not renamed yet, a new checkpoint renamed but the old
one not deleted yet.
"""
import os
import time

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from mmpdl.registry import DATASETS, MODELS


@MODELS.register_module()
class KillTestModel(BaseModel):
    """A linear regressor with dropout: (N, 8) -> (N, 1)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(8, 1)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x, y, mode='tensor'):
        out = self.linear(self.dropout(x))
        if mode == 'loss':
            return dict(loss=((out - y)**2).mean())
        return out


@DATASETS.register_module()
class KillTestDataset(Dataset):
    """16 fixed random samples ``x`` (8,) float32 with ``y = sum(x)``."""

    def __len__(self):
        return 16

    def __getitem__(self, idx):
        x = torch.randn(8, generator=torch.Generator().manual_seed(idx))
        return dict(x=x, y=x.sum(0, keepdim=True))


def _paused(function, seconds):

    def wrapper(*args, **kwargs):
        time.sleep(seconds)
        return function(*args, **kwargs)

    return wrapper


if os.environ.get('KILL_TEST_PAUSE'):
    _seconds = float(os.environ['KILL_TEST_PAUSE'])
    os.replace = _paused(os.replace, _seconds)
    os.remove = _paused(os.remove, _seconds)
