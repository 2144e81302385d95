"""A toy model and dataset in mmpdl's registries, and a config that trains
them with ``tools/train.py`` in a second (real checkpoints, real resume)."""
import torch
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from mmpdl.registry import DATASETS, MODELS


@MODELS.register_module(name='SecurityToyModel', force=True)
class ToyModel(BaseModel):
    """y = w x + b with a squared loss."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, y, mode='tensor'):
        loss = ((self.linear(x) - y)**2).mean()
        return dict(loss=loss) if mode == 'loss' else [loss]


@DATASETS.register_module(name='SecurityToyDataset', force=True)
class ToyDataset(Dataset):
    """Four (x, y) pairs."""
    metainfo = dict(classes=('thing', ))

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return dict(x=torch.ones(2) * index, y=torch.ones(1))


CONFIG = '''
default_scope = 'mmpdl'
model = dict(type='SecurityToyModel')
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    dataset=dict(type='SecurityToyDataset'),
    sampler=dict(type='InfiniteSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
default_hooks = dict(
    checkpoint=dict(type='PanopticCheckpointHook', by_epoch=False,
                    interval=1))
log_level = 'WARNING'
'''


def toy_config(path) -> str:
    """Write the toy training config to ``path``; returns it as a str."""
    with open(path, 'w') as f:
        f.write(CONFIG)
    return str(path)
