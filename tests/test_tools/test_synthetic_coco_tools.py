"""The built-in COCO-format data through the tools: tools/train.py trains a
few iterations and validates, tools/test.py evaluates the checkpoint, and
browse_dataset.py draws the ground truth in the JSON's colours."""
import json
import os.path as osp

import mmcv
import mmengine
import numpy as np
import pytest
import torch
from PIL import Image

from mmpdl.datasets import make_synthetic_coco_panoptic
from .analysis_tool import ROOT, load_script

CONFIG = osp.join(
    ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-coco-panoptic-257x385.py'
)
VAL_JSON = 'annotations/panoptic_val.json'


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic_coco_tools'))
    make_synthetic_coco_panoptic(root, 2, 3, size=(64, 96), seed=0)
    return root


@pytest.fixture(scope='module')
def categories(data_root):
    with open(osp.join(data_root, VAL_JSON)) as f:
        return json.load(f)['categories']


def _loader_options(data_root, *splits):
    options = []
    for split in splits:
        options += [
            f'{split}_dataloader.dataset.data_root={data_root}',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    return options


def test_train_then_test_with_the_json_classes(data_root, categories,
                                               tmp_path):
    names = [c['name'] for c in categories]
    work = tmp_path / 'work'
    load_script('tools/train.py', 'coco_train_tool').main([
        CONFIG, '--work-dir',
        str(work), '--cfg-options',
        *_loader_options(data_root, 'train', 'val'), 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2',
        'train_dataloader.dataset.pipeline.3.crop_size=(65,97)'
    ])
    # validation ran and gave the key that picks the best checkpoint
    best = work / 'best_panoptic_PQ_iter_2.pth'
    assert best.is_file() and (work / 'iter_2.pth').is_file()
    meta = torch.load(best, weights_only=False)['meta']['dataset_meta']
    assert list(meta['classes']) == names
    assert meta['label_ids'] == [c['id'] for c in categories]
    assert meta['thing_ids'] == [0, 1, 2, 3]

    out = tmp_path / 'preds.pkl'
    metrics = load_script('tools/test.py', 'coco_test_tool').main([
        CONFIG,
        str(best), '--work-dir',
        str(tmp_path / 'test'), '--out',
        str(out), '--cfg-options', *_loader_options(data_root, 'test')
    ])
    for name in names:
        assert f'panoptic/PQ_{name}' in metrics, sorted(metrics)
    assert 'panoptic/PQ_vegetation' not in metrics  # no Cityscapes class
    assert 0.0 <= metrics['semantic/mIoU'] <= 100.0
    assert 'cityscapes_instance/AP' in metrics
    with open(osp.join(data_root, VAL_JSON)) as f:
        images = {
            img['file_name']: (img['height'], img['width'])
            for img in json.load(f)['images']
        }
    predictions = mmengine.load(str(out))
    assert len(predictions) == 3
    for record in predictions:  # each at its own image size
        pan = record['panoptic']
        assert pan.shape == images[osp.basename(record['img_path'])]
        assert set(np.unique(pan // 1000).tolist()) <= set(range(9)) | {255}
    assert len({r['panoptic'].shape for r in predictions}) == 3


def _gt_panel(path, height):
    """The ground-truth panel and the image panel of a picture."""
    picture = mmcv.imread(path, channel_order='rgb').astype(float)
    picture = picture[picture.shape[0] - height:]  # below the titles
    width = picture.shape[1] // 2
    return picture[:, :width], picture[:, width:]


def test_browse_draws_the_json_colours(data_root, categories, tmp_path):
    tool = load_script('tools/analysis_tools/browse_dataset.py',
                       'coco_browse_dataset')
    written = tool.main([
        CONFIG, '--split', 'val', '--num', '0', '--output-dir',
        str(tmp_path), '--cfg-options',
        f'val_dataloader.dataset.data_root={data_root}'
    ])
    assert len(written) == 3
    with open(osp.join(data_root, VAL_JSON)) as f:
        ann = json.load(f)
    by_stem = {osp.splitext(a['file_name'])[0]: a for a in ann['annotations']}
    colours = {c['id']: np.array(c['color'], float) for c in categories}
    checked = 0
    for path in written:
        item = by_stem[osp.splitext(osp.basename(path))[0]]
        rgb = np.asarray(
            Image.open(
                osp.join(data_root, 'annotations/panoptic_val',
                         item['file_name'])).convert('RGB')).astype(int)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
        image, gt = _gt_panel(path, ids.shape[0])
        # the overlay is 0.4 image + 0.6 class colour: undo it
        drawn = (gt - 0.4 * image) / 0.6
        for seg in item['segments_info']:
            if seg['category_id'] < 15 or seg['area'] < 200:
                continue  # things (shaded per instance) and slivers
            median = np.median(drawn[ids == seg['id']], axis=0)
            assert np.abs(median - colours[seg['category_id']]).max() < 3
            checked += 1
    assert checked >= 6
