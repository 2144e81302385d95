"""The built-in dataset, decoded by our dataset + LoadPanopticAnnotations,
checked against the JSON written by cityscapesscripts; bad-input errors."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from cityscapesscripts.helpers.labels import id2label

from mmpdl.datasets import CityscapesPanopticDataset, make_synthetic_cityscapes
from mmpdl.datasets.transforms import LoadPanopticAnnotations

ANN = 'gtFine/cityscapes_panoptic_val.json'
PREFIX = dict(
    img_path='leftImg8bit/val', seg_map_path='gtFine/cityscapes_panoptic_val')


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthetic'))
    assert make_synthetic_cityscapes(out, 2, 4, size=(96, 192), seed=3)
    return out


def _dataset(root, **kwargs):
    return CityscapesPanopticDataset(
        data_root=root, ann_file=ANN, data_prefix=PREFIX, **kwargs)


def test_generator_is_deterministic_and_idempotent(root, tmp_path):
    assert not make_synthetic_cityscapes(root, 2, 4, size=(96, 192), seed=3)
    other = str(tmp_path / 'again')
    make_synthetic_cityscapes(other, 2, 4, size=(96, 192), seed=3)
    name = 'frankfurt_000000_000019_gtFine_instanceIds.png'
    with open(osp.join(root, 'gtFine/val/frankfurt', name), 'rb') as a, \
            open(osp.join(other, 'gtFine/val/frankfurt', name), 'rb') as b:
        assert a.read() == b.read()


def test_scenes_have_the_promised_content(root):
    with open(osp.join(root, ANN)) as f:
        ann = json.load(f)
    categories = set()
    small = 0
    for item in ann['annotations']:
        for seg in item['segments_info']:
            categories.add(seg['category_id'])
            small += id2label[
                seg['category_id']].hasInstances and seg['area'] < 4096
    stuff = {c for c in categories if not id2label[c].hasInstances}
    things = {c for c in categories if id2label[c].hasInstances}
    assert len(stuff) >= 4 and len(things) >= 3
    assert small > 0


def test_decoded_segments_equal_cityscapesscripts_json(root):
    dataset = _dataset(root)
    load = LoadPanopticAnnotations()
    with open(osp.join(root, ANN)) as f:
        ann = {a['image_id']: a for a in json.load(f)['annotations']}
    assert len(dataset) == 4
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        out = load(dict(info))
        pan = out['gt_panoptic_seg']
        segments = ann[info['image_id']]['segments_info']
        ids, counts = np.unique(pan, return_counts=True)
        decoded = dict(zip(ids.tolist(), counts.tolist()))
        decoded.pop(255000, None)
        expected = {}
        for seg in segments:
            label = id2label[seg['category_id']]
            key = label.trainId * 1000
            if label.hasInstances and not seg['iscrowd']:
                key = None  # instance numbers are ours; compare by area
            expected.setdefault(key, []).append(seg['area'])
        # stuff and crowd: one segment per class, same area as the JSON
        for key, areas in expected.items():
            if key is not None:
                assert decoded[key] == sum(areas)
        ours = sorted(v for k, v in decoded.items() if k % 1000)
        assert ours == sorted(expected.get(None, []))
        # semantic map agrees with the segments' categories
        sem = out['gt_seg_map']
        assert (sem[pan == 255000] == 255).all()
        assert (sem[pan != 255000] == pan[pan != 255000] // 1000).all()


def test_missing_data_root_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        _dataset(str(tmp_path / 'nowhere'))


def test_changed_class_list_is_refused(root):
    with pytest.raises(ValueError, match=r"classes=\('road', 'car'\)"):
        _dataset(root, metainfo=dict(classes=('road', 'car')))
    palette = [[i, i, i] for i in range(19)]
    assert _dataset(
        root, metainfo=dict(palette=palette)).metainfo['palette'] == palette


def test_missing_json_names_path_and_fix(tmp_path):
    os.makedirs(tmp_path / 'gtFine')
    with pytest.raises(
            FileNotFoundError,
            match='cityscapes_panoptic_val.json.*cityscapes.py'):
        _dataset(str(tmp_path))


def test_missing_image_is_named(root, tmp_path):
    copy = str(tmp_path / 'copy')
    shutil.copytree(root, copy)
    victim = osp.join(copy, 'leftImg8bit/val/lindau',
                      'lindau_000001_000019_leftImg8bit.png')
    os.remove(victim)
    with pytest.raises(FileNotFoundError, match='lindau_000001_000019'):
        _dataset(copy)


def test_truncated_png_is_named(root, tmp_path):
    info = _dataset(root).get_data_info(0)
    bad = tmp_path / 'bad_panoptic.png'
    with open(info['pan_map_path'], 'rb') as f:
        data = f.read()
    bad.write_bytes(data[:len(data) // 3])
    info = dict(info, pan_map_path=str(bad))
    with pytest.raises(OSError, match='bad_panoptic.png'):
        LoadPanopticAnnotations()(info)


def test_unknown_category_is_refused(root, tmp_path):
    copy = str(tmp_path / 'copy')
    shutil.copytree(root, copy)
    path = osp.join(copy, ANN)
    with open(path) as f:
        ann = json.load(f)
    ann['annotations'][0]['segments_info'][0]['category_id'] = 99
    with open(path, 'w') as f:
        json.dump(ann, f)
    with pytest.raises(ValueError, match='unknown category_id 99'):
        _dataset(copy)


def test_test_split_without_annotations(root):
    dataset = CityscapesPanopticDataset(
        data_root=root,
        ann_file='',
        data_prefix=dict(img_path=PREFIX['img_path']),
        test_mode=True)
    assert len(dataset) == 4
    assert 'pan_map_path' not in dataset.get_data_info(0)


def test_size_mismatch_is_reported(root):
    info = dict(_dataset(root).get_data_info(0), ori_shape=(10, 10))
    with pytest.raises(ValueError, match='is 96x192 but image'):
        LoadPanopticAnnotations()(info)
