"""tools/dataset_converters/synthetic_coco_panoptic.py writes the built-in
COCO-format data once (its content is tested in
tests/test_datasets/test_coco_panoptic.py)."""
import os
import os.path as osp

from repo import load_script


def test_command_line_tool(tmp_path, capsys):
    tool = load_script('tools/dataset_converters/synthetic_coco_panoptic.py',
                       'synthetic_coco_panoptic')
    out = str(tmp_path / 'data')
    tool.main([out, '--train', '1', '--val', '1', '--size', '48x64'])
    assert 'wrote 1 train + 1 val images' in capsys.readouterr().out
    assert os.listdir(osp.join(out, 'annotations', 'panoptic_train'))
    tool.main([out, '--train', '1', '--val', '1', '--size', '48x64'])
    assert 'nothing to do' in capsys.readouterr().out
