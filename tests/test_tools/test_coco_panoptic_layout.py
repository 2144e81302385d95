"""coco_panoptic.py checks a fake COCO 2017 panoptic tree and names every
missing part with the URL or unzip command that gives it."""
import json

from repo import load_script


def tool():
    return load_script('tools/dataset_converters/coco_panoptic.py',
                       'mmpdl_coco_panoptic_layout')


def make_tree(root):
    """A complete tiny layout: one image and PNG per split."""
    for split in ('train2017', 'val2017'):
        (root / split).mkdir(parents=True)
        (root / split / '000000000001.jpg').write_bytes(b'jpg')
        pngs = root / 'annotations' / f'panoptic_{split}'
        pngs.mkdir(parents=True)
        (pngs / '000000000001.png').write_bytes(b'png')
        (root / 'annotations' / f'panoptic_{split}.json').write_text(
            json.dumps(
                dict(
                    images=[dict(id=1, file_name='000000000001.jpg')],
                    annotations=[
                        dict(
                            image_id=1,
                            file_name='000000000001.png',
                            segments_info=[])
                    ],
                    categories=[])))


def test_complete_tree(tmp_path, capsys):
    make_tree(tmp_path)
    assert tool().main([str(tmp_path), '--check-files']) == 0
    out = capsys.readouterr().out
    assert 'OK: COCO 2017 panoptic' in out
    # the optional instances file is reported, not counted
    assert ('note: optional ' +
            str(tmp_path / 'annotations' / 'instances_val2017.json')) in out


def test_missing_parts_are_named_with_the_fix(tmp_path, capsys):
    make_tree(tmp_path)
    (tmp_path / 'annotations' / 'panoptic_val2017.json').unlink()
    for png in (tmp_path / 'annotations' / 'panoptic_train2017').iterdir():
        png.unlink()
    (tmp_path / 'val2017' / '000000000001.jpg').unlink()
    assert tool().main([str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f'{tmp_path}/val2017: folder is empty; download '
        'http://images.cocodataset.org/zips/val2017.zip and run `unzip '
        f'val2017.zip -d {tmp_path}`')
    assert out[1] == (
        f'{tmp_path}/annotations/panoptic_val2017.json: file is missing; '
        'download http://images.cocodataset.org/annotations/'
        'panoptic_annotations_trainval2017.zip and run `unzip '
        f'panoptic_annotations_trainval2017.zip -d {tmp_path}`')
    assert out[2].startswith(
        f'{tmp_path}/annotations/panoptic_train2017: folder is empty; run '
        f'`unzip {tmp_path}/annotations/panoptic_train2017.zip -d '
        f'{tmp_path}/annotations`')
    assert out[-1] == (f'COCO 2017 panoptic under {tmp_path} is incomplete: '
                       '3 missing part(s) listed above')


def test_check_files_names_absent_listed_files(tmp_path, capsys):
    make_tree(tmp_path)
    (tmp_path / 'annotations' / 'panoptic_val2017' /
     '000000000001.png').rename(tmp_path / 'annotations' / 'panoptic_val2017' /
                                'other.png')
    assert tool().main([str(tmp_path), '--check-files']) == 1
    out = capsys.readouterr().out
    assert (f'{tmp_path}/annotations/panoptic_val2017: 1 file(s) listed in '
            f'{tmp_path}/annotations/panoptic_val2017.json are missing, '
            "e.g. ['000000000001.png']") in out
