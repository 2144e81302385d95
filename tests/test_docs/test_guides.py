"""The Python snippets of docs/user_guides and docs/advanced_guides run as
written (in a scratch folder that sees the repository's configs and demo
image) and do what the text around them says."""
import contextlib
import io
import json
import os
import os.path as osp
import sys

import mmcv
import numpy as np
import pytest
import torch

from .markdown import ROOT, block_with, code_blocks
from repo import QUICKSTART

GUIDE_CHECKPOINT = 'work_dirs/quickstart_4iters/iter_4.pth'


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A working folder with ``configs/`` (its own ``my_models/`` beside
    links to the repository's config folders) and ``demo/``, on
    ``sys.path`` like the repository root of the guides."""
    configs = tmp_path / 'configs'
    (configs / 'my_models').mkdir(parents=True)
    for name in os.listdir(osp.join(ROOT, 'configs')):
        os.symlink(osp.join(ROOT, 'configs', name), configs / name)
    os.symlink(osp.join(ROOT, 'demo'), tmp_path / 'demo')
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    # forget the guide's modules: the next test writes its own
    from mmpdl.registry import DATASETS, MODELS
    for name in [m for m in sys.modules if m.split('.')[0] == 'my_modules']:
        del sys.modules[name]
    for name in ('TinyConvNet', 'LightSemanticHead'):
        MODELS._module_dict.pop(name, None)
    DATASETS._module_dict.pop('FlatPanopticDataset', None)


def run(snippet: str, scope: dict, name: str) -> str:
    """Execute ``snippet`` in ``scope``; returns what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet, name, 'exec'), scope)
    return out.getvalue()


def test_config_guide_prints_what_it_says(scratch):
    document = 'docs/user_guides/1_config.md'
    snippet = block_with(document, 'python', 'Config.fromfile')
    printed = run(snippet, {}, document)
    expected = block_with(document, 'text', 'TorchvisionResNet')
    assert printed == expected


def test_inference_guide(scratch, tiny_checkpoint):
    document = 'docs/user_guides/3_inference.md'
    scope = {}
    for snippet in code_blocks(document, 'python'):
        assert GUIDE_CHECKPOINT in snippet or 'checkpoint =' not in snippet
        run(
            snippet.replace(GUIDE_CHECKPOINT, tiny_checkpoint), scope,
            document)
    prediction = scope['prediction']
    assert prediction['panoptic_seg'].shape == (256, 512)
    assert prediction['sem_seg'].shape == (256, 512)
    assert scope['picture'].shape == (256, 1024, 3)
    out = scratch / 'work_dirs' / 'demo_out'
    assert sorted(os.listdir(out / 'vis')) == ['demo.png']
    assert sorted(os.listdir(out / 'pred')) == [
        'demo_instances.json', 'demo_panoptic.png', 'demo_sem.png'
    ]
    assert tuple(scope['panoptic'].shape) == (256, 512)
    assert scope['panoptic'].dtype == torch.int64
    assert len(scope['instances']) == len(prediction['instances'])


def test_visualization_guide(scratch, tiny_checkpoint):
    document = 'docs/user_guides/visualization.md'
    snippet = block_with(document, 'python', 'PanopticLocalVisualizer(')
    scope = dict(config=QUICKSTART, checkpoint=tiny_checkpoint)
    printed = run(snippet, scope, document)
    assert printed.splitlines()[-1] == '(256, 2048, 3)'
    written = mmcv.imread(
        str(scratch / 'work_dirs' / 'demo_panels.png'), channel_order='rgb')
    np.testing.assert_array_equal(written, scope['picture'])
    np.testing.assert_array_equal(
        written[:, :512], mmcv.imread('demo/demo.png', channel_order='rgb'))


def write_module(folder, document, marker, file_name):
    """Write the Python block of ``document`` holding ``marker`` to
    ``folder/my_modules/file_name``."""
    package = folder / 'my_modules'
    package.mkdir(exist_ok=True)
    (package / '__init__.py').touch()
    (package / file_name).write_text(block_with(document, 'python', marker))


def write_config(folder, document, marker, name):
    """Write the config block of ``document`` holding ``marker``."""
    path = folder / 'configs' / 'my_models' / name
    path.write_text(block_with(document, 'python', marker))
    return str(path)


ADD_MODELS = 'docs/advanced_guides/add_models.md'


def test_add_a_backbone(scratch):
    write_module(scratch, ADD_MODELS, 'class TinyConvNet', 'tiny_convnet.py')
    write_config(
        scratch, ADD_MODELS, "imports=['my_modules.tiny_convnet']",
        'panoptic-deeplab_tinyconvnet-os32_1xb2-800iter_synthetic-cityscapes-'
        '256x512.py')
    scope = {}
    printed = run(
        block_with(ADD_MODELS, 'python', 'revert_sync_batchnorm(MODELS'),
        scope, ADD_MODELS)
    shapes = {
        'sem_seg': (1, 19, 256, 512),
        'center': (1, 1, 256, 512),
        'offset': (1, 2, 256, 512)
    }
    assert printed.strip() == str(shapes)
    model = scope['model']
    assert type(model.backbone).__name__ == 'TinyConvNet'
    # a 257x513 input (k * 32 + 1) gives features at strides 4 .. 32
    feats = model.backbone(torch.rand(1, 3, 257, 513))
    assert [tuple(f.shape)
            for f in feats] == [(1, 32, 65, 129), (1, 64, 33, 65),
                                (1, 128, 17, 33), (1, 256, 9, 17)]


def test_add_a_head(scratch):
    from mmengine import Config
    from mmengine.model import revert_sync_batchnorm

    from mmpdl.registry import MODELS
    from mmpdl.utils import register_all_modules
    write_module(scratch, ADD_MODELS, 'class LightSemanticHead',
                 'light_semantic_head.py')
    config = write_config(scratch, ADD_MODELS, 'light_semantic_head',
                          'light_head.py')
    register_all_modules()
    cfg = Config.fromfile(config)
    light = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    base = revert_sync_batchnorm(
        MODELS.build(Config.fromfile(QUICKSTART).model))

    def count(net):
        return sum(p.numel() for p in net.parameters())

    # removed: 5x5 depthwise conv (C * 25) + BN (2C), 1x1 pointwise conv
    # (C * H) + BN (2H); the 1x1 classifier is replaced by one of the same
    # size (C = semantic decoder channels, H = semantic head channels)
    branch = cfg.model.decode_head.semantic_branch
    c, h = branch.decoder_channels, branch.head_channels
    assert count(base) - count(light) == c * 25 + 2 * c + c * h + 2 * h
    with torch.no_grad():
        outputs = light(torch.rand(1, 3, 64, 128), mode='tensor')
    assert tuple(outputs['sem_seg'].shape) == (1, 19, 64, 128)


ADD_DATASET = 'docs/advanced_guides/add_dataset.md'
FLAT_CONFIG = 'panoptic-deeplab_r18-os32_1xb2-800_flat-256x512.py'


def write_flat_dataset(root, car_category=9):
    """One 32x64 image in the guide's flat layout: ground (segment 1,
    category 1) on top, a car (segment 9000, category ``car_category``)
    in the bottom-left corner, void (id 0, in no segment) bottom right."""
    ids = np.full((32, 64), 1, np.int64)
    ids[16:, :32] = 9000
    ids[16:, 32:] = 0
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1)
    for folder in ('images/val', 'panoptic/val'):
        (root / folder).mkdir(parents=True, exist_ok=True)
    mmcv.imwrite(
        np.full((32, 64, 3), 90, np.uint8),
        str(root / 'images/val/street.png'))
    mmcv.imwrite(rgb[..., ::-1].astype(np.uint8),
                 str(root / 'panoptic/val/street_pan.png'))
    (root / 'panoptic_val.json').write_text(
        json.dumps(
            dict(
                images=[dict(id=5, file_name='street.png')],
                annotations=[
                    dict(
                        image_id=5,
                        file_name='street_pan.png',
                        segments_info=[
                            dict(id=1, category_id=1, iscrowd=0),
                            dict(id=9000, category_id=car_category, iscrowd=0)
                        ])
                ],
                categories=[])))


def test_add_a_dataset(scratch):
    from mmengine import Config
    from mmengine.model import revert_sync_batchnorm

    from mmpdl.registry import DATASETS, MODELS
    from mmpdl.utils import register_all_modules
    write_module(scratch, ADD_DATASET, 'class FlatPanopticDataset',
                 'flat_panoptic.py')
    config = write_config(scratch, ADD_DATASET, "type='FlatPanopticDataset'",
                          FLAT_CONFIG)
    write_flat_dataset(scratch / 'data' / 'my_flat')
    register_all_modules()
    cfg = Config.fromfile(config)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    assert dataset.metainfo['classes'] == ('ground', 'building', 'car')
    assert dataset.metainfo['stuff_ids'] == [0, 1]
    sample = dataset[0]['data_samples']
    assert osp.basename(sample.img_path) == 'street.png'
    # ground: train id 0, stuff -> 0; car: train id 2, first instance ->
    # 2001; void -> 255 * 1000
    expected = np.full((32, 64), 0, np.int64)
    expected[16:, :32] = 2001
    expected[16:, 32:] = 255000
    np.testing.assert_array_equal(sample.gt_panoptic_seg.data[0].numpy(),
                                  expected)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    with torch.no_grad():
        outputs = model(torch.rand(1, 3, 64, 128), mode='tensor')
    assert tuple(outputs['sem_seg'].shape) == (1, 3, 64, 128)


def test_add_a_dataset_unknown_category(scratch):
    from mmengine import Config

    from mmpdl.registry import DATASETS
    from mmpdl.utils import register_all_modules
    write_module(scratch, ADD_DATASET, 'class FlatPanopticDataset',
                 'flat_panoptic.py')
    config = write_config(scratch, ADD_DATASET, "type='FlatPanopticDataset'",
                          FLAT_CONFIG)
    write_flat_dataset(scratch / 'data' / 'my_flat', car_category=4)
    register_all_modules()
    cfg = Config.fromfile(config)
    with pytest.raises(
            ValueError,
            match=r'street.png.*segment 9000.*'
            r'unknown category_id 4'):
        DATASETS.build(cfg.test_dataloader.dataset)


@pytest.mark.parametrize('marker,name,backbone,channels', [
    ("type='ResNetV1c'", 'panoptic-deeplab_r18-v1c-os32_1xb2-800iter_'
     'synthetic-cityscapes-256x512.py', 'ResNetV1c', (64, 128, 256, 512)),
    ("type='MixVisionTransformer'", 'panoptic-deeplab_mit-b0_8xb1-90k_'
     'cityscapes-1025x2049.py', 'MixVisionTransformer', (32, 64, 160, 256)),
])
def test_mmseg_backbone_by_config(scratch, marker, name, backbone, channels):
    """The guide's configs with mmseg's backbones build, give four features
    at strides 4-32 with the channels the head reads, and train."""
    import math

    from mmengine import Config
    from mmseg.models import backbones as mmseg_backbones

    from mmpdl.testing.tiny_training import (make_tiny_builtin_data,
                                             tiny_training_config, train_tiny)
    config = write_config(scratch, ADD_MODELS, marker, name)
    cfg = Config.fromfile(config)
    data_root = make_tiny_builtin_data(str(scratch / 'data'))
    result = train_tiny(
        tiny_training_config(cfg, data_root, str(scratch / 'work')))
    model = result['model']
    assert type(model.backbone) is getattr(mmseg_backbones, backbone)
    model.eval()
    with torch.no_grad():
        feats = model.backbone(torch.rand(1, 3, 65, 129))
    assert [tuple(f.shape[1:]) for f in feats] == [
        (c, h, w)
        for c, (h, w) in zip(channels, [(17, 33), (9, 17), (5, 9), (3, 5)])
    ]
    head = model.decode_head
    assert head.in_channels == channels[head.in_index]
    assert tuple(head.low_level_channels) == tuple(
        channels[i] for i in head.low_level_in_index)
    assert len(result['losses']) == 2
    for losses in result['losses']:
        assert {'loss_sem', 'loss_center', 'loss_offset'} <= set(losses)
        assert all(math.isfinite(v) for v in losses.values())
    changed = [
        k for k, v in result['before'].items() if k.startswith('backbone.')
        and v.is_floating_point() and not torch.equal(v, result['after'][k])
    ]
    assert changed  # the step reached the backbone
