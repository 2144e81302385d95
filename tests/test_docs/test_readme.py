"""The README's inference snippet runs as written on the committed demo
image, which is a val image of the built-in dataset."""
import os.path as osp

import mmcv
import numpy as np

from mmpdl.datasets import render_scene
from .markdown import ROOT, block_with
from repo import QUICKSTART


def test_demo_image_is_a_built_in_val_image():
    # val image 3 of the built-in dataset with the default seed 0
    # (frankfurt_000003_000019): scene seed 500000 + 3
    rgb, _ = render_scene(256, 512, 500_003)
    demo = mmcv.imread(osp.join(ROOT, 'demo', 'demo.png'), channel_order='rgb')
    np.testing.assert_array_equal(demo, rgb)


def test_readme_snippet(tiny_checkpoint, monkeypatch):
    monkeypatch.chdir(ROOT)
    snippet = block_with('README.md', 'python', 'PanopticInferencer')
    scope = dict(CONFIG=QUICKSTART, CHECKPOINT=tiny_checkpoint)
    exec(compile(snippet, 'README.md', 'exec'), scope)
    result = scope['result']
    panoptic = result['predictions']['panoptic_seg']
    assert panoptic.shape == (256, 512) and panoptic.dtype == np.int64
    assert result['predictions']['instances']
    picture = result['visualization']
    assert picture.shape == (256, 1024, 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(
        picture[:, :512], mmcv.imread('demo/demo.png', channel_order='rgb'))
