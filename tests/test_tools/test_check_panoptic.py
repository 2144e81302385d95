"""check_panoptic.py lists every problem of a dataset at once and exits
with 1 when there are any."""
import json
import os
import os.path as osp
import shutil

import pytest

from repo import load_script

ANN = 'gtFine/cityscapes_panoptic_val.json'


@pytest.fixture
def copy(synthetic_cityscapes, tmp_path):
    root = str(tmp_path / 'data')
    shutil.copytree(synthetic_cityscapes(1, 3, size=(64, 128), seed=7), root)
    return root


def _edit_json(root, edit):
    path = osp.join(root, ANN)
    with open(path) as f:
        ann = json.load(f)
    edit(ann)
    with open(path, 'w') as f:
        json.dump(ann, f)


def test_check_tool_lists_every_problem(copy, capsys):
    tool = load_script('tools/dataset_converters/check_panoptic.py',
                       'mmpdl_check_panoptic')
    assert tool.main([copy, ANN]) == 0
    assert 'no problems' in capsys.readouterr().out

    def corrupt(ann):
        first, second, third = ann['annotations']
        first['segments_info'].pop(0)  # its pixels become unlisted
        second['segments_info'].append(dict(id=999, category_id=7,
                                            iscrowd=0))  # no pixels
        third['segments_info'][0]['category_id'] = 99

    _edit_json(copy, corrupt)
    with open(osp.join(copy, ANN)) as f:
        ann = json.load(f)
    first, second, third = ann['annotations']
    city = third['image_id'].split('_')[0]
    os.remove(
        osp.join(copy, 'leftImg8bit/val', city,
                 third['image_id'] + '_leftImg8bit.png'))
    assert tool.main([copy, ANN]) == 1
    out = capsys.readouterr().out
    assert f"{first['file_name']}: segment ids [" in out
    assert f"{second['file_name']}: segments [999] of segments_info" in out
    assert f"{third['file_name']}: unknown category ids [99]" in out
    assert f"{third['image_id']}_leftImg8bit.png' is missing" in out
    assert '4 problem(s)' in out
