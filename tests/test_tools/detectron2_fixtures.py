"""Key fixtures of detectron2-format Panoptic-DeepLab models and fake
checkpoints made from them, shared by the ``detectron2_to_mmpdl`` tests.

``tests/data/detectron2_keys/<row>.json`` lists every tensor of a model's
state dict with its shape (written by
``tools/model_converters/verify_against_detectron2.py --dump-keys`` from
detectron2's code, and the original's for the tools_d2 rows).
"""
import json
import os.path as osp
import subprocess
import sys

import torch

from repo import ROOT

FIXTURES = osp.join(ROOT, 'tests', 'data', 'detectron2_keys')


def load_fixture(row_name):
    """The fixture dict of a row (``tensors``: key -> shape)."""
    with open(osp.join(FIXTURES, row_name + '.json')) as f:
        return json.load(f)


def fake_state(fixture):
    """Key -> constant tensor ``i`` for the ``i``-th key, expanded to its
    shape (no memory); int64 for ``num_batches_tracked``, else float32."""
    state = {}
    for i, (name, shape) in enumerate(fixture['tensors'].items()):
        dtype = torch.int64 if name.endswith('num_batches_tracked') \
            else torch.float32
        state[name] = torch.full((), i, dtype=dtype).expand(shape)
    return state


def value_of(tensor):
    """The constant a fake tensor holds."""
    return int(tensor.reshape(-1)[0])


def write_coco_categories(path):
    """A ``categories`` list of 133 classes (80 things) at ``path``;
    returns the path as a string."""
    path.write_text(
        json.dumps([
            dict(id=i + 1, name=f'class{i}', isthing=int(i < 80))
            for i in range(133)
        ]))
    return str(path)


def run_verification(*args):
    """Run ``verify_against_detectron2.py`` with ``args`` (in a
    subprocess, from the repository root); returns its CompletedProcess."""
    script = osp.join(ROOT, 'tools', 'model_converters',
                      'verify_against_detectron2.py')
    return subprocess.run([sys.executable, script, *args],
                          capture_output=True,
                          text=True,
                          cwd=ROOT)
