"""mapillary_vistas.py: layout check of a fake Vistas tree and the resized
copy (sizes, areas and boxes recomputed, originals untouched)."""
import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from mmpdl.structures.panoptic_ids import id_to_rgb, rgb_to_id
from repo import load_script


def tool():
    return load_script('tools/dataset_converters/mapillary_vistas.py',
                       'mmpdl_mapillary_vistas_tool')


def make_tree(root, version='2.0'):
    """Per split: a 40x30 (WxH) image with a 1-pixel segment and a 12x10
    image (already small)."""
    name = dict([('1.2', 'panoptic_2018'), ('2.0', 'panoptic_2020')])[version]
    for split in ('training', 'validation'):
        (root / split / 'images').mkdir(parents=True)
        pan = root / split / f'v{version}' / 'panoptic'
        pan.mkdir(parents=True)
        big = np.full((30, 40), 5, np.int64)
        big[10:30, 0:20] = 300
        big[29, 39] = 7  # one pixel: gone after halving the size
        small = np.full((10, 12), 5, np.int64)
        images, annotations = [], []
        for stem, ids in (('big', big), ('small', small)):
            rgb = np.random.RandomState(0).randint(
                0, 255, ids.shape + (3, ), dtype=np.uint8)
            Image.fromarray(rgb).save(root / split / 'images' / f'{stem}.jpg')
            Image.fromarray(id_to_rgb(ids)).save(pan / f'{stem}.png')
            images.append(
                dict(
                    id=stem,
                    file_name=f'{stem}.jpg',
                    height=ids.shape[0],
                    width=ids.shape[1]))
            annotations.append(
                dict(
                    image_id=stem,
                    file_name=f'{stem}.png',
                    segments_info=[
                        dict(
                            id=int(i),
                            category_id=1,
                            iscrowd=0,
                            area=0,
                            bbox=[0, 0, 0, 0]) for i in np.unique(ids)
                    ]))
        (pan / f'{name}.json').write_text(
            json.dumps(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=[dict(id=1, name='x', isthing=0)])))


def digest(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


def test_complete_tree_and_resized_copy(tmp_path, capsys):
    root, out = tmp_path / 'vistas', tmp_path / 'vistas_20'
    make_tree(root)
    before = digest(root)
    assert tool().main(
        [str(root), '--resize-longest', '20', '--out-dir',
         str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'OK: Mapillary Vistas v2.0 panoptic' in printed
    assert ('training: 2 image(s) written to '
            f'{out} at longest side <= 20; '
            '1 segment(s) left without pixels by the resize were dropped'
            ) in printed
    assert digest(root) == before
    for split in ('training', 'validation'):
        pan = out / split / 'v2.0' / 'panoptic'
        ann = json.loads((pan / 'panoptic_2020.json').read_text())
        sizes = {i['id']: (i['height'], i['width']) for i in ann['images']}
        assert sizes == {'big': (15, 20), 'small': (10, 12)}
        assert Image.open(out / split / 'images' / 'big.jpg').size == (20, 15)
        # the small image is copied byte for byte
        assert ((out / split / 'images' /
                 'small.jpg').read_bytes() == (root / split / 'images' /
                                               'small.jpg').read_bytes())
        for item in ann['annotations']:
            ids = rgb_to_id(np.asarray(Image.open(pan / item['file_name'])))
            assert ids.shape == sizes[item['image_id']]
            listed = [s['id'] for s in item['segments_info']]
            assert sorted(listed) == np.unique(ids).tolist()
            if item['image_id'] == 'big':
                assert 7 not in listed
                # nearest neighbour halving keeps every other pixel
                seg = {s['id']: s for s in item['segments_info']}
                # rows 10-29, cols 0-19 -> rows 5-14, cols 0-9
                assert seg[300]['area'] == 10 * 10
                assert seg[300]['bbox'] == [0, 5, 10, 10]
                assert seg[5]['area'] == 15 * 20 - 100
                assert seg[5]['bbox'] == [0, 0, 20, 15]


def test_missing_parts_and_v12_release_layout(tmp_path, capsys):
    root = tmp_path / 'vistas'
    make_tree(root, '1.2')
    # the v1.2 release: panoptic/ directly under the split
    (root / 'training' / 'v1.2' / 'panoptic').rename(root / 'training' /
                                                     'panoptic')
    (root / 'training' / 'v1.2').rmdir()
    for image in (root / 'validation' / 'images').iterdir():
        image.unlink()
    assert tool().main([str(root), '--version', '1.2']) == 1
    out = capsys.readouterr().out
    assert (f'{root}/training/v1.2/panoptic/panoptic_2018.json: file is '
            'missing; this is the layout of the v1.2 release: move its '
            f'panoptic folder with `mkdir -p {root}/training/v1.2 && mv '
            f'{root}/training/panoptic {root}/training/v1.2/panoptic`') in out
    assert (f'{root}/validation/images: folder is empty; download the '
            'Mapillary Vistas v2.0 release') in out
    assert 'is incomplete: 3 missing part(s)' in out


def test_never_overwrites_the_originals(tmp_path):
    make_tree(tmp_path)
    with pytest.raises(SystemExit):
        tool().main([
            str(tmp_path), '--resize-longest', '20', '--out-dir',
            str(tmp_path / '.')
        ])
