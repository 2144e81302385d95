"""Export + onnxruntime verification of small models (static and dynamic
shapes, with and without post-processing): the ONNX outputs against the
PyTorch model's predictions of the same image."""
from functools import partial

import pytest

from mmpdl.apis import inference_model
from mmpdl.datasets import render_scene
from mmpdl.deployment import export_onnx, format_table, verify_export
from .conftest import MOBILENET, QUICKSTART, export_module, lively_checkpoint
from repo import load_script

pytest.importorskip('onnxruntime')


def _check(rows):
    """All rows ok, and the panoptic maps held instances."""
    assert all(row['ok'] for row in rows), format_table(rows)
    counts = [
        int(r['output'].split('(')[1][:-1]) for r in rows
        if r['output'].startswith('instances')
    ]
    assert min(counts) > 0, format_table(rows)


@pytest.mark.parametrize('dynamic,with_postprocess', [(False, False),
                                                      (True, False),
                                                      (True, True)])
def test_r18_export_equals_pytorch(tmp_path, r18_checkpoint, scene_257x513,
                                   dynamic, with_postprocess):
    module, model = export_module(QUICKSTART, r18_checkpoint, with_postprocess)
    path = export_onnx(module, str(tmp_path / 'r18.onnx'), (257, 513), dynamic)
    images = [('scene', scene_257x513)]
    if dynamic:  # a size that needs padding, not the traced one
        rgb, _ = render_scene(190, 300, 8)
        images.append(('scene 190x300', rgb[..., ::-1].copy()))
    rows, ok = verify_export(partial(inference_model, model), path, images)
    _check(rows)
    assert ok


def test_mobilenetv2_export_equals_pytorch(tmp_path):
    checkpoint = lively_checkpoint(MOBILENET, str(tmp_path / 'mbv2.pth'))
    module, model = export_module(MOBILENET, checkpoint, True)
    path = export_onnx(module, str(tmp_path / 'mbv2.onnx'), (513, 1025))
    rgb, _ = render_scene(513, 1025, 9)
    rows, ok = verify_export(
        partial(inference_model, model), path,
        [('scene', rgb[..., ::-1].copy())])
    _check(rows)
    assert ok


def test_cli_exports_and_prints_the_table(tmp_path, r18_checkpoint,
                                          scene_257x513, capsys):
    import mmcv
    main = load_script('tools/deployment/pytorch2onnx.py').main
    image = str(tmp_path / 'scene.png')
    mmcv.imwrite(scene_257x513, image)
    out = str(tmp_path / 'cli.onnx')
    assert main([
        QUICKSTART, r18_checkpoint, '--out', out, '--shape', '257', '513',
        '--with-postprocess', '--verify', '--images', image
    ])
    printed = capsys.readouterr().out
    assert '| pred_panoptic_seg (pixels) | 0 | 0 | yes |  |' in printed
    assert 'verification passed' in printed
    assert printed.count('| seg_logits |') == 1  # one image given
