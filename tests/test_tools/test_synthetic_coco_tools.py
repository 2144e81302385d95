"""The built-in COCO-format data through the tools: tools/train.py trains a
few iterations and validates, tools/test.py evaluates the checkpoint and
writes COCO-panoptic results (evaluated again by cityscapesscripts), and
browse_dataset.py draws the ground truth in the JSON's colours."""
import glob
import json
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
    evaluatePanoptic
from PIL import Image

from mmpdl.datasets import make_synthetic_coco_panoptic
from repo import ROOT, load_script

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


@pytest.fixture(scope='module')
def trained(data_root, tmp_path_factory):
    """The best checkpoint of 2 training iterations (validated after the
    second)."""
    work = tmp_path_factory.mktemp('synthetic_coco_train')
    load_script('tools/train.py', 'coco_train_tool').main([
        CONFIG, '--work-dir',
        str(work), '--cfg-options',
        *_loader_options(data_root, 'train', 'val'), 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2',
        'train_dataloader.dataset.pipeline.3.crop_size=(65,97)'
    ])
    assert (work / 'iter_2.pth').is_file()
    return work / 'best_panoptic_PQ_iter_2.pth'


def test_train_then_test_with_the_json_classes(data_root, categories, trained,
                                               tmp_path):
    names = [c['name'] for c in categories]
    # validation ran and gave the key that picks the best checkpoint
    best = trained
    assert best.is_file()
    meta = torch.load(best, weights_only=True)['meta']['dataset_meta']
    assert list(meta['classes']) == names
    assert meta['label_ids'] == [c['id'] for c in categories]
    assert meta['thing_ids'] == [0, 1, 2, 3]

    out = str(tmp_path / 'results')
    metrics = load_script('tools/test.py', 'coco_test_tool').main([
        CONFIG,
        str(best), '--work-dir',
        str(tmp_path / 'test'), '--out', out, '--cfg-options',
        *_loader_options(data_root, 'test')
    ])
    for name in names:
        assert f'panoptic/PQ_{name}' in metrics, sorted(metrics)
    assert 'panoptic/PQ_vegetation' not in metrics  # no Cityscapes class
    assert 0.0 <= metrics['semantic/mIoU'] <= 100.0
    assert 'coco_instance/mask_AP' in metrics
    assert 'coco_instance/bbox_AP_sem_x_ctr' in metrics
    # the summary line of the log has the COCO box and mask AP
    log = glob.glob(str(tmp_path / 'test' / '*' / '*.log'))[0]
    line = [x for x in open(log).read().splitlines() if 'Iter(test)' in x][-1]
    for key in ('coco_instance/bbox_AP', 'coco_instance/mask_AP'):
        assert f'{key}: {metrics[key]:.4f}  ' in line + '  ', line
    # the written results: one PNG per image at its own size, and the
    # official evaluation of them gives our PQ
    with open(osp.join(data_root, VAL_JSON)) as f:
        sizes = {
            img['id']: (img['height'], img['width'])
            for img in json.load(f)['images']
        }
    with open(osp.join(out, 'panoptic_val_results.json')) as f:
        results = json.load(f)['annotations']
    assert sorted(r['image_id'] for r in results) == sorted(sizes)
    for result in results:
        with Image.open(
                osp.join(out, 'panoptic_val_results',
                         result['file_name'])) as png:
            assert png.size[::-1] == sizes[result['image_id']]
    assert len(set(sizes.values())) == 3
    official = _official_pq(data_root, out, tmp_path)
    assert abs(official - metrics['panoptic/PQ'] / 100) < 1e-9


def test_split_without_annotations_writes_the_submission(
        data_root, trained, tmp_path):
    out = tmp_path / 'submission'
    metrics = load_script('tools/test.py', 'coco_test_tool').main([
        CONFIG,
        str(trained), '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out), '--cfg-options', *_loader_options(data_root, 'test'),
        "test_dataloader.dataset.ann_file=''",
        f'test_dataloader.dataset.categories_file={VAL_JSON}'
    ])
    assert metrics == {}
    with open(out / 'panoptic_val_results.json') as f:
        results = json.load(f)
    stems = sorted(r['file_name'][:-len('.png')]
                   for r in results['annotations'])
    assert stems == ['000000500001', '000000500002', '000000500003']
    for result in results['annotations']:
        ids = {s['category_id'] for s in result['segments_info']}
        assert ids <= {1, 3, 7, 12, 15, 23, 40, 57, 90}
    assert (out / 'coco_instances_results.json').is_file()


def _official_pq(data_root, out, tmp_path):
    """cityscapesscripts' panoptic evaluation of the files under ``out``."""
    cwd = os.getcwd()
    os.chdir(tmp_path)  # it writes intermediate files into the cwd
    try:
        result = evaluatePanoptic(
            osp.join(data_root, VAL_JSON),
            osp.join(data_root, 'annotations/panoptic_val'),
            osp.join(out, 'panoptic_val_results.json'),
            osp.join(out, 'panoptic_val_results'), str(tmp_path / 'pq.json'))
    finally:
        os.chdir(cwd)
    return result['All']['pq']


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
