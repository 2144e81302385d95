"""CocoPanopticDataset on the built-in COCO-format data: metadata from the
JSON's categories, decoding checked against the PNGs and JSON read here
with PIL and plain arithmetic; every bad input names the file, ids and
fix."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmpdl.datasets import CocoPanopticDataset, make_synthetic_coco_panoptic
from mmpdl.datasets.transforms import LoadPanopticAnnotations
from mmpdl.structures import default_palette

ANN = 'annotations/panoptic_val.json'
PREFIX = dict(img_path='val', seg_map_path='annotations/panoptic_val')
CATEGORY_IDS = [1, 3, 7, 12, 15, 23, 40, 57, 90]


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthetic_coco'))
    assert make_synthetic_coco_panoptic(out, 2, 4, size=(64, 96), seed=0)
    return out


@pytest.fixture
def copy(root, tmp_path):
    out = str(tmp_path / 'copy')
    shutil.copytree(root, out)
    return out


def _dataset(root, **kwargs):
    return CocoPanopticDataset(
        data_root=root,
        ann_file=kwargs.pop('ann_file', ANN),
        data_prefix=PREFIX,
        **kwargs)


def _read_json(root):
    with open(osp.join(root, ANN)) as f:
        return json.load(f)


def _edit_json(root, edit):
    ann = _read_json(root)
    edit(ann)
    with open(osp.join(root, ANN), 'w') as f:
        json.dump(ann, f)


def _png_ids(path):
    rgb = np.asarray(Image.open(path).convert('RGB')).astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


def test_generator_is_deterministic_and_idempotent(root, tmp_path):
    assert not make_synthetic_coco_panoptic(root, 2, 4, size=(64, 96), seed=0)
    other = str(tmp_path / 'again')
    make_synthetic_coco_panoptic(other, 2, 4, size=(64, 96), seed=0)
    for name in (ANN, 'annotations/panoptic_val/000000500002.png'):
        with open(osp.join(root, name), 'rb') as a, \
                open(osp.join(other, name), 'rb') as b:
            assert a.read() == b.read()


def test_files_hold_the_promised_content(root):
    ann = _read_json(root)
    cats = {c['id']: c for c in ann['categories']}
    assert [c['id'] for c in ann['categories']] == CATEGORY_IDS
    assert sum(c['isthing'] for c in ann['categories']) == 4
    sizes, crowd, void = set(), 0, 0
    images = {img['id']: img for img in ann['images']}
    for item in ann['annotations']:
        image = images[item['image_id']]
        ids = _png_ids(
            osp.join(root, PREFIX['seg_map_path'], item['file_name']))
        with Image.open(osp.join(root, 'val', image['file_name'])) as img:
            assert img.size == (image['width'], image['height'])
        assert ids.shape == (image['height'], image['width'])
        sizes.add(ids.shape)
        void += int((ids == 0).sum())
        listed = {seg['id'] for seg in item['segments_info']}
        assert set(np.unique(ids).tolist()) - {0} == listed
        for seg in item['segments_info']:
            ys, xs = np.nonzero(ids == seg['id'])
            assert seg['area'] == len(ys)
            assert seg['bbox'] == [
                xs.min(),
                ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1
            ]
            crowd += seg['iscrowd']
            if seg['iscrowd']:
                assert cats[seg['category_id']]['isthing']
            if not cats[seg['category_id']]['isthing']:
                # panopticapi: a stuff segment has its category's colour
                r, g, b = cats[seg['category_id']]['color']
                assert seg['id'] == r + 256 * g + 65536 * b
    assert len(sizes) == 4 and crowd > 0 and void > 0


def test_metainfo_comes_from_the_json_categories(root):
    ann = _read_json(root)
    meta = _dataset(root, lazy_init=True).metainfo
    assert meta['classes'] == tuple(c['name'] for c in ann['categories'])
    assert meta['label_ids'] == CATEGORY_IDS
    assert meta['thing_ids'] == [0, 1, 2, 3]
    assert meta['stuff_ids'] == [4, 5, 6, 7, 8]
    assert meta['palette'] == [c['color'] for c in ann['categories']]
    assert (meta['label_divisor'], meta['ignore_index']) == (1000, 255)


def test_config_metainfo_replaces_json_keys(root):
    palette = [[i, 2 * i, 3 * i] for i in range(9)]
    meta = _dataset(root, metainfo=dict(palette=palette)).metainfo
    assert meta['palette'] == palette and meta['label_ids'] == CATEGORY_IDS
    with pytest.raises(ValueError, match='9 classes but 2 label_ids'):
        _dataset(root, metainfo=dict(label_ids=[1, 3]))


def test_categories_without_colour_get_a_fixed_palette(copy):
    _edit_json(copy, lambda ann: [c.pop('color') for c in ann['categories']])
    palette = _dataset(copy).metainfo['palette']
    assert palette == default_palette(9)
    assert len({tuple(c) for c in palette}) == 9


def test_decoded_maps_equal_the_png_and_json(root):
    ann = _read_json(root)
    to_train = {cat: i for i, cat in enumerate(CATEGORY_IDS)}
    by_file = {item['file_name']: item for item in ann['annotations']}
    dataset = _dataset(root)
    load = LoadPanopticAnnotations()
    assert len(dataset) == 4
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        out = load(dict(info))
        ids = _png_ids(info['pan_map_path'])
        item = by_file[osp.basename(info['pan_map_path'])]
        sem, pan = out['gt_seg_map'], out['gt_panoptic_seg']
        assert ((sem == 255) == (ids == 0)).all()
        assert (pan[ids == 0] == 255000).all()
        numbers = {}
        for seg in item['segments_info']:
            mask = ids == seg['id']
            train_id = to_train[seg['category_id']]
            assert (sem[mask] == train_id).all()
            values = np.unique(pan[mask])
            assert len(values) == 1 and values[0] // 1000 == train_id
            if train_id < 4 and not seg['iscrowd']:  # a thing instance
                numbers.setdefault(train_id, []).append(values[0] % 1000)
            else:
                assert values[0] % 1000 == 0
        for train_id, ks in numbers.items():
            assert sorted(ks) == list(range(1, len(ks) + 1))


def test_unknown_category_is_named(copy):
    _edit_json(
        copy, lambda ann: ann['annotations'][1]['segments_info'][0].update(
            category_id=2))
    image_id = _read_json(copy)['annotations'][1]['image_id']
    with pytest.raises(ValueError) as err:
        _dataset(copy)
    assert err.match(rf"panoptic_val.json.*image {image_id}: segment \d+ "
                     'has unknown category_id 2')
    assert err.match('add its category to the dataset')


def test_image_without_annotation_is_named(copy):
    _edit_json(copy, lambda ann: ann['annotations'].pop(2))
    with pytest.raises(
            ValueError,
            match=r'panoptic_val.json.*images without an entry in '
            r'"annotations" \(image ids \[500003\]\).*add the missing'):
        _dataset(copy)


def test_annotation_without_image_is_named(copy):
    _edit_json(copy, lambda ann: ann['images'].pop(0))
    with pytest.raises(
            ValueError,
            match=r'panoptic_val.json.*annotations whose image_id is not in '
            r'"images": \[500001\].*add the missing'):
        _dataset(copy)


def test_json_size_disagreeing_with_files_is_named(copy):
    _edit_json(copy, lambda ann: ann['images'][0].update(height=7))
    info = _dataset(copy).get_data_info(0)
    with pytest.raises(
            ValueError,
            match=r"000000500001.png' of image .*000000500001.jpg' is "
            r'\d+x\d+ but the "images" entry of image id 500001 .* says '
            r'7x\d+.*Correct "height"/"width"'):
        LoadPanopticAnnotations()(dict(info))


def test_image_and_png_of_other_sizes_are_named(copy):
    info = _dataset(copy).get_data_info(1)
    with Image.open(info['img_path']) as img:
        img.resize((20, 30)).save(info['img_path'])
    from mmcv.transforms import LoadImageFromFile
    results = LoadImageFromFile()(dict(info))
    with pytest.raises(
            ValueError,
            match=r"000000500002.png' is \d+x\d+ but image "
            r".*000000500002.jpg' is 30x20"):
        LoadPanopticAnnotations()(results)


@pytest.mark.parametrize('edit, message', [
    (lambda segs: segs.pop(0), r'segment ids \[\d+\] are in the PNG but not '
     'in segments_info'),
    (lambda segs: segs.append(dict(id=77, category_id=15, iscrowd=0)),
     r'segments \[77\] of segments_info have no pixels in the PNG'),
])
def test_png_and_json_segments_disagreeing_are_named(copy, edit, message):
    _edit_json(copy, lambda ann: edit(ann['annotations'][0]['segments_info']))
    info = _dataset(copy).get_data_info(0)
    with pytest.raises(ValueError) as err:
        LoadPanopticAnnotations()(dict(info))
    assert err.match("000000500001.png' disagrees with its JSON entry")
    assert err.match(message)
    assert err.match('Fix the PNG or its segments_info')


def test_bad_categories_are_named(copy):
    _edit_json(copy, lambda ann: ann['categories'][3].pop('isthing'))
    with pytest.raises(
            ValueError,
            match=r"panoptic_val.json.*categories\[3\] .* has no "
            r"\['isthing'\].*Fix the \"categories\""):
        _dataset(copy)
    _edit_json(copy, lambda ann: ann.pop('categories'))
    with pytest.raises(ValueError, match='"categories" must be a non-empty'):
        _dataset(copy)


def test_missing_files_are_named(root, tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.*dataset_prepare'):
        _dataset(str(tmp_path / 'nowhere'))
    with pytest.raises(
            FileNotFoundError,
            match='panoptic_test.json.*synthetic_coco_panoptic.py'):
        _dataset(root, ann_file='annotations/panoptic_test.json')


def test_images_only_without_ann_file(root):
    with pytest.raises(
            ValueError, match='give categories_file=.* or metainfo'):
        _dataset(root, ann_file='')
    meta = _dataset(root, lazy_init=True).metainfo
    dataset = _dataset(root, ann_file='', metainfo=meta, test_mode=True)
    assert len(dataset) == 4
    assert dataset.metainfo['label_ids'] == CATEGORY_IDS
    assert 'pan_map_path' not in dataset.get_data_info(0)
    # the classes of another JSON (e.g. the val split's for a test split)
    dataset = _dataset(root, ann_file='', categories_file=ANN)
    assert dataset.metainfo['label_ids'] == CATEGORY_IDS
    assert dataset.metainfo['palette'] == meta['palette']
    assert len(dataset) == 4
    with pytest.raises(FileNotFoundError, match='categories_file .*nope'):
        _dataset(root, ann_file='', categories_file='nope.json')
