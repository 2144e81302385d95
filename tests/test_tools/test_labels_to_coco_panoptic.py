"""labels_to_coco_panoptic.py: semantic + instance PNGs -> COCO-panoptic,
checked on a hand-made dataset, and every bad input gives an error naming
the file, the value and the fix."""
import json
import os.path as osp

import numpy as np
from PIL import Image

from mmpdl.structures.panoptic_ids import rgb_to_id
from repo import load_script

CATEGORIES = ('id,name,isthing,color\n'
              '1,road,0,128 64 128\n'
              '2,sky,0,70 130 180\n'
              '7,car,1,0 0 142\n'
              '9,person,1,220 20 60\n')
VOID, CROWD = 255, 99


def tool():
    return load_script('tools/dataset_converters/labels_to_coco_panoptic.py',
                       'mmpdl_labels_to_coco_panoptic')


def hand_made_segments():
    """Per image: (H, W), semantic, instance map and the expected segments
    as {(category, iscrowd): [boolean masks]}."""
    # street: sky on top, road below, two cars, one person, a void stripe
    sem = np.full((6, 8), 1, np.uint8)
    sem[:2] = 2
    sem[:, 7] = VOID
    inst = np.zeros((6, 8), np.uint16)
    sem[3:5, 0:2], inst[3:5, 0:2] = 7, 1
    sem[3:5, 3:5], inst[3:5, 3:5] = 7, 2
    sem[2:6, 5], inst[2:6, 5] = 9, 1000  # 16-bit instance ids work
    street = {
        (2, 0): [(sem == 2)],
        (1, 0): [(sem == 1)],
        (7, 0): [(inst == 1), (inst == 2)],
        (9, 0): [(inst == 1000)],
    }
    # crowd: a crowd of people (instance id CROWD) next to one person
    sem2 = np.full((5, 4), 1, np.uint8)
    inst2 = np.zeros((5, 4), np.uint16)
    sem2[0:2, :], inst2[0:2, :] = 9, CROWD
    sem2[3, 1:3], inst2[3, 1:3] = 9, 4
    crowd = {
        (1, 0): [(sem2 == 1)],
        (9, 1): [(inst2 == CROWD)],
        (9, 0): [(inst2 == 4)],
    }
    return {'a/street': (sem, inst, street), 'crowd': (sem2, inst2, crowd)}


def write_dataset(root, samples=None, ext='.jpg'):
    samples = samples or hand_made_segments()
    for stem, (sem, inst, _) in samples.items():
        for folder, array in (('images', None), ('semantic', sem),
                              ('instances', inst)):
            path = root / folder / (stem + (ext if array is None else '.png'))
            path.parent.mkdir(parents=True, exist_ok=True)
            if array is None:
                array = np.full(sem.shape + (3, ), 80, np.uint8)
            Image.fromarray(array).save(path)
    (root / 'categories.csv').write_text(CATEGORIES)


def argv(root, *extra):
    return [
        '--images',
        str(root / 'images'), '--semantic',
        str(root / 'semantic'), '--instances',
        str(root / 'instances'), '--categories',
        str(root / 'categories.csv'), '--out-json',
        str(root / 'out' / 'panoptic.json'), '--out-png-dir',
        str(root / 'out' / 'panoptic'), '--crowd-id',
        str(CROWD), *extra
    ]


def decoded_segments(root, ann, entry):
    """{(category, iscrowd): sorted mask bytes} of one written image."""
    ids = rgb_to_id(
        np.asarray(Image.open(root / 'out' / 'panoptic' / entry['file_name'])))
    found = {}
    for seg in entry['segments_info']:
        mask = ids == seg['id']
        assert seg['area'] == mask.sum()
        ys, xs = np.nonzero(mask)
        assert seg['bbox'] == [
            xs.min(),
            ys.min(),
            xs.max() - xs.min() + 1,
            ys.max() - ys.min() + 1
        ]
        found.setdefault((seg['category_id'], seg['iscrowd']),
                         []).append(mask.tobytes())
    listed = {seg['id'] for seg in entry['segments_info']}
    assert set(np.unique(ids)) - {0} == listed
    return {k: sorted(v) for k, v in found.items()}


def test_converts_hand_made_dataset(tmp_path):
    write_dataset(tmp_path)
    assert tool().main(argv(tmp_path)) == 0
    with open(tmp_path / 'out' / 'panoptic.json') as f:
        ann = json.load(f)
    assert [c['id'] for c in ann['categories']] == [1, 2, 7, 9]
    assert ann['categories'][2] == dict(
        id=7, name='car', isthing=1, color=[0, 0, 142])
    samples = hand_made_segments()
    assert [img['file_name'] for img in ann['images']
            ] == [osp.join('a', 'street.jpg'), 'crowd.jpg']
    for img, entry, stem in zip(ann['images'], ann['annotations'],
                                sorted(samples)):
        sem, _, expected = samples[stem]
        assert (img['height'], img['width']) == sem.shape
        assert entry['image_id'] == img['id']
        assert decoded_segments(tmp_path, ann, entry) == {
            k: sorted(m.tobytes() for m in v)
            for k, v in expected.items()
        }


def test_crowd_mask_folder(tmp_path):
    samples = hand_made_segments()
    sem, inst, _ = samples['crowd']
    crowd_mask = (inst == CROWD).astype(np.uint8)
    inst = np.where(inst == CROWD, 0, inst).astype(np.uint16)
    write_dataset(tmp_path, {'crowd': (sem, inst, None)})
    (tmp_path / 'crowd_masks').mkdir()
    Image.fromarray(crowd_mask * 255).save(tmp_path / 'crowd_masks' /
                                           'crowd.png')
    args = argv(tmp_path, '--crowd', str(tmp_path / 'crowd_masks'))
    args = args[:args.index('--crowd-id')] + args[args.index('--crowd-id') +
                                                  2:]
    assert tool().main(args) == 0
    with open(tmp_path / 'out' / 'panoptic.json') as f:
        ann = json.load(f)
    assert decoded_segments(tmp_path, ann, ann['annotations'][0]) == {
        k: sorted(m.tobytes() for m in v)
        for k, v in samples['crowd'][2].items()
    }


def error_of(root, capsys, *extra):
    assert tool().main(argv(root, *extra)) == 1
    assert not (root / 'out' / 'panoptic.json').exists()
    return capsys.readouterr().err


def test_semantic_value_not_in_category_file(tmp_path, capsys):
    samples = hand_made_segments()
    samples['crowd'][0][4, 0] = 5
    write_dataset(tmp_path, samples)
    err = error_of(tmp_path, capsys)
    assert (f"{tmp_path / 'semantic' / 'crowd.png'}': semantic value 5 "
            '(1 pixels) is an unknown category id') in err
    assert 'categories.csv' in err and 'add category 5 to that file' in err


def test_image_without_labels_and_labels_without_image(tmp_path, capsys):
    write_dataset(tmp_path)
    Image.fromarray(np.zeros(
        (4, 4, 3), np.uint8)).save(tmp_path / 'images' / 'lonely.jpg')
    err = error_of(tmp_path, capsys)
    assert "lonely.jpg' has no semantic label: expected" in err
    assert 'semantic' in err and 'add the label' in err
    (tmp_path / 'images' / 'lonely.jpg').unlink()
    (tmp_path / 'images' / 'crowd.jpg').unlink()
    err = error_of(tmp_path, capsys)
    assert "semantic label '" in err and "crowd.png' has no image" in err
    assert 'add the image or remove the label' in err


def test_label_size_differs_from_image(tmp_path, capsys):
    write_dataset(tmp_path)
    Image.fromarray(np.zeros(
        (6, 9, 3), np.uint8)).save(tmp_path / 'images' / 'a' / 'street.jpg')
    err = error_of(tmp_path, capsys)
    assert "street.png' is 8x6 (WxH) but its image is 9x6" in err
    assert 'export them again at full resolution' in err


def test_thing_pixels_without_instance(tmp_path, capsys):
    samples = hand_made_segments()
    samples['a/street'][1][3, 0] = 0
    write_dataset(tmp_path, samples)
    err = error_of(tmp_path, capsys)
    assert ("street.png': 1 pixels of thing categories [7] have instance "
            'id 0') in err
    assert 'mark them crowd' in err


def test_bad_category_file(tmp_path, capsys):
    write_dataset(tmp_path)
    (tmp_path / 'categories.csv').write_text(CATEGORIES + '7,bus,1,0 0 70\n')
    err = error_of(tmp_path, capsys)
    assert 'categories.csv: category ids [7] appear more than once' in err
    (tmp_path / 'categories.csv').write_text(CATEGORIES + '8,bus,1,0 0 700\n')
    err = error_of(tmp_path, capsys)
    assert "categories.csv: line 6: color '0 0 700' is not three" in err


def test_void_value_that_is_a_category(tmp_path, capsys):
    write_dataset(tmp_path)
    err = error_of(tmp_path, capsys, '--void', '7')
    assert '--void 7 is also a category id' in err


def test_json_category_file(tmp_path):
    write_dataset(tmp_path)
    cats = [
        dict(id=1, name='road', isthing=0, color=[128, 64, 128]),
        dict(id=2, name='sky', isthing=0, color=[70, 130, 180]),
        dict(id=7, name='car', isthing=1, color=[0, 0, 142]),
        dict(id=9, name='person', isthing=1, color=[220, 20, 60]),
    ]
    path = tmp_path / 'categories.json'
    path.write_text(json.dumps(dict(categories=cats)))
    args = argv(tmp_path)
    args[args.index('--categories') + 1] = str(path)
    assert tool().main(args) == 0
    with open(tmp_path / 'out' / 'panoptic.json') as f:
        assert json.load(f)['categories'] == cats


def test_converted_dataset_passes_check_panoptic(tmp_path, capsys):
    """check_panoptic.py (COCO layout) accepts the converted files and
    names a segment whose category id is not in ``categories``."""
    write_dataset(tmp_path)
    assert tool().main(argv(tmp_path)) == 0
    check = load_script('tools/dataset_converters/check_panoptic.py',
                        'mmpdl_check_panoptic_coco')
    check_args = [
        str(tmp_path), 'out/panoptic.json', '--img-dir', 'images', '--seg-dir',
        'out/panoptic'
    ]
    assert check.main(check_args) == 0
    assert 'OK: 2 annotation(s)' in capsys.readouterr().out
    path = tmp_path / 'out' / 'panoptic.json'
    ann = json.loads(path.read_text())
    segment = ann['annotations'][1]['segments_info'][0]
    segment['category_id'] = 4
    path.write_text(json.dumps(ann))
    assert check.main(check_args) == 1
    out = capsys.readouterr().out
    assert (f"{tmp_path / 'out' / 'panoptic' / 'crowd.png'}: unknown "
            f"category ids [4] (segments [{segment['id']}]): not categories "
            'of the dataset; correct the category_id of these segments or '
            'add the category') in out


def test_round_trip_through_coco_panoptic_dataset(tmp_path):
    """Convert, load with CocoPanopticDataset + LoadPanopticAnnotations,
    decode: the segments (class, instance or not, pixels) are the
    hand-made ones and void stays void."""
    from mmpdl.registry import DATASETS
    from mmpdl.utils import register_all_modules
    register_all_modules()
    write_dataset(tmp_path)
    assert tool().main(argv(tmp_path)) == 0
    dataset = DATASETS.build(
        dict(
            type='CocoPanopticDataset',
            data_root=str(tmp_path),
            ann_file='out/panoptic.json',
            data_prefix=dict(img_path='images', seg_map_path='out/panoptic'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadPanopticAnnotations'),
                dict(type='PackPanopticInputs')
            ]))
    assert dataset.metainfo['classes'] == ('road', 'sky', 'car', 'person')
    assert dataset.metainfo['thing_ids'] == [2, 3]
    train_id = {1: 0, 2: 1, 7: 2, 9: 3}
    samples = hand_made_segments()
    for index, stem in enumerate(sorted(samples)):
        sem, _, expected = samples[stem]
        sample = dataset[index]['data_samples']
        panoptic = sample.gt_panoptic_seg.data[0].numpy()
        decoded = {}
        for value in np.unique(panoptic):
            cls, k = divmod(int(value), 1000)
            if cls == 255:
                continue
            decoded.setdefault((cls, k > 0), []).append(
                (panoptic == value).tobytes())
        wanted = {}
        for (cat, crowd), masks in expected.items():
            is_instance = cat in (7, 9) and not crowd
            wanted.setdefault((train_id[cat], is_instance),
                              []).extend(m.tobytes() for m in masks)
        assert {
            k: sorted(v)
            for k, v in decoded.items()
        } == {
            k: sorted(v)
            for k, v in wanted.items()
        }
        np.testing.assert_array_equal(panoptic == 255 * 1000, sem == VOID)
        semantic = sample.gt_sem_seg.data[0].numpy()
        expected_sem = np.vectorize(lambda v: train_id.get(v, 255))(sem)
        np.testing.assert_array_equal(semantic, expected_sem)
