"""Ground truth that disagrees with itself is an error naming the file, the
ids and the fix; images without a JSON entry are counted in the log."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmpdl.datasets import CITYSCAPES_PANOPTIC_META, CityscapesPanopticDataset
from mmpdl.datasets import cityscapes_panoptic as dataset_module
from mmpdl.datasets.transforms import LoadPanopticAnnotations

ANN = 'gtFine/cityscapes_panoptic_val.json'
PREFIX = dict(
    img_path='leftImg8bit/val', seg_map_path='gtFine/cityscapes_panoptic_val')


@pytest.fixture(scope='module')
def root(synthetic_cityscapes):
    return synthetic_cityscapes(1, 3, size=(64, 128), seed=7)


@pytest.fixture
def copy(root, tmp_path):
    out = str(tmp_path / 'copy')
    shutil.copytree(root, out)
    return out


def _dataset(root):
    return CityscapesPanopticDataset(
        data_root=root, ann_file=ANN, data_prefix=PREFIX)


def _edit_json(root, edit):
    path = osp.join(root, ANN)
    with open(path) as f:
        ann = json.load(f)
    edit(ann)
    with open(path, 'w') as f:
        json.dump(ann, f)


def _load(tmp_path, ids, info):
    path = str(tmp_path / 'pan.png')
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1)
    Image.fromarray(rgb.astype(np.uint8)).save(path)
    return LoadPanopticAnnotations()(
        dict(
            pan_map_path=path,
            segments_info=info,
            ori_shape=ids.shape,
            panoptic_meta=CITYSCAPES_PANOPTIC_META))


def test_png_id_missing_from_segments_info_is_named(tmp_path):
    ids = np.array([[7, 7, 26001], [0, 26002, 26002]])
    info = [dict(id=7, category_id=7), dict(id=26001, category_id=26)]
    with pytest.raises(
            ValueError,
            match=r"pan\.png.*\[26002\] are in the "
            'PNG but not in segments_info.*check_panoptic'):
        _load(tmp_path, ids, info)


def test_segment_without_pixels_is_named(tmp_path):
    ids = np.array([[7, 7], [0, 26001]])
    info = [
        dict(id=7, category_id=7),
        dict(id=26001, category_id=26),
        dict(id=26005, category_id=26)
    ]
    with pytest.raises(
            ValueError,
            match=r'segments \[26005\] of segments_info have no '
            'pixels'):
        _load(tmp_path, ids, info)


def test_void_pixels_need_no_entry(tmp_path):
    out = _load(tmp_path, np.array([[0, 7]]), [dict(id=7, category_id=7)])
    assert out['gt_seg_map'].tolist() == [[255, 0]]


@pytest.mark.parametrize(
    'content, message',
    [('{}', r'no "images" list.*no "annotations"|no "images" list'),
     ('{"images": [], "annotations": []}', '"annotations" is empty'),
     ('{"images": [], "annotations": [{"image_id": "a_0_0", '
      '"file_name": "a.png"}]}', r"image 'a_0_0' has no \['segments_info'\]"),
     ('{"images": [], "annot', 'is not valid JSON.*truncated')])
def test_empty_or_malformed_json_names_file_and_key(copy, content, message):
    with open(osp.join(copy, ANN), 'w') as f:
        f.write(content)
    with pytest.raises(ValueError) as err:
        _dataset(copy)
    assert 'cityscapes_panoptic_val.json' in str(err.value)
    assert err.match(message)


def test_images_without_json_entry_are_counted(copy, monkeypatch):
    _edit_json(copy, lambda ann: ann['annotations'].pop(0))
    logged = []
    monkeypatch.setattr(dataset_module, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    assert len(_dataset(copy)) == 2
    assert len(logged) == 1 and logged[0].startswith('1 of 3 images'), logged
