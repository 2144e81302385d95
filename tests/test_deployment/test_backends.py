"""Backends in the inference API and the demo, and one-line errors for bad
input: unsupported opset, checkpoint not matching the config, wrong image
size for a static export, missing onnxruntime / tensorrt."""
import sys

import mmcv
import numpy as np
import pytest
import torch

from mmpdl.apis import PanopticInferencer
from mmpdl.deployment import OnnxRuntimeBackend, TensorRTBackend, export_onnx
from .conftest import MOBILENET, QUICKSTART, export_module
from repo import load_script

pytest.importorskip('onnxruntime')


@pytest.fixture(scope='module')
def static_onnx(tmp_path_factory, r18_checkpoint):
    """The quickstart model exported for 257x513 with post-processing."""
    module, _ = export_module(QUICKSTART, r18_checkpoint, True)
    path = str(tmp_path_factory.mktemp('onnx') / 'r18.onnx')
    return export_onnx(module, path, (257, 513))


def test_inferencer_backends_give_the_same_predictions_and_pictures(
        static_onnx, r18_checkpoint, scene_257x513):
    torch_inf = PanopticInferencer(QUICKSTART, r18_checkpoint, device='cpu')
    onnx_inf = PanopticInferencer(
        model=static_onnx, device='cpu', backend='onnxruntime')
    want = torch_inf(scene_257x513, return_vis=True)
    got = onnx_inf(scene_257x513, return_vis=True)
    np.testing.assert_array_equal(got['predictions']['panoptic_seg'],
                                  want['predictions']['panoptic_seg'])
    assert len(want['predictions']['instances']) > 0
    for a, b in zip(want['predictions']['instances'],
                    got['predictions']['instances']):
        assert (a['id'], a['label'], a['area']) == (b['id'], b['label'],
                                                    b['area'])
        assert a['score'] == pytest.approx(b['score'], abs=1e-5)
    np.testing.assert_array_equal(got['visualization'], want['visualization'])


def test_image_demo_onnxruntime_writes_the_pytorch_picture(
        tmp_path, static_onnx, r18_checkpoint, scene_257x513):
    demo = load_script('tools/image_demo.py')
    image = str(tmp_path / 'scene.png')
    mmcv.imwrite(scene_257x513, image)
    for backend, weights in (('pytorch', r18_checkpoint), ('onnxruntime',
                                                           static_onnx)):
        demo.main([
            image, QUICKSTART, weights, '--out-file',
            str(tmp_path / f'{backend}.png'), '--backend', backend
        ])
    np.testing.assert_array_equal(
        mmcv.imread(str(tmp_path / 'onnxruntime.png')),
        mmcv.imread(str(tmp_path / 'pytorch.png')))


def test_wrong_size_for_a_static_export(static_onnx):
    runner = OnnxRuntimeBackend(static_onnx)
    with pytest.raises(
            ValueError,
            match='exported for 257x513 images, got '
            '256x512; re-export with --shape H W'):
        runner(np.zeros((256, 512, 3), np.uint8))


def test_unsupported_opset_is_one_line(tmp_path):
    tool = load_script('tools/deployment/pytorch2onnx.py')
    with pytest.raises(ValueError) as error:
        tool.main(
            [QUICKSTART, '--out',
             str(tmp_path / 'x.onnx'), '--opset', '11'])
    assert str(error.value) == (
        'unsupported opset 11: the export needs an opset in [16, 20] '
        "(ScatterElements with reduction needs 16; torch's TorchScript "
        'exporter writes up to 20); pass e.g. --opset 17')


def test_checkpoint_of_another_config(tmp_path, r18_checkpoint):
    with pytest.raises(
            ValueError, match='does not fit the model of this config'):
        load_script('tools/deployment/pytorch2onnx.py').main(
            [MOBILENET, r18_checkpoint, '--out',
             str(tmp_path / 'x.onnx')])


def test_missing_packages_name_the_install(monkeypatch, static_onnx):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(ImportError, match='pip install onnxruntime'):
        OnnxRuntimeBackend(static_onnx)
    monkeypatch.setitem(sys.modules, 'tensorrt', None)
    with pytest.raises(ImportError, match='pip install tensorrt'):
        TensorRTBackend(static_onnx)


def test_onnx_backend_needs_an_onnx_file():
    with pytest.raises(ValueError, match='takes the exported .onnx file'):
        PanopticInferencer(QUICKSTART, backend='onnxruntime')


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='TensorRT needs a CUDA GPU')
def test_tensorrt_backend_equals_pytorch(tmp_path, r18_checkpoint,
                                         scene_257x513):
    pytest.importorskip('tensorrt', reason='the tensorrt package is needed')
    from mmpdl.apis import inference_model
    from mmpdl.deployment import compare_samples, outputs_to_sample
    module, model = export_module(QUICKSTART, r18_checkpoint)
    path = export_onnx(module, str(tmp_path / 'net.onnx'), (257, 513))
    runner = TensorRTBackend(path)
    got = outputs_to_sample(runner(scene_257x513), runner.meta)
    rows = compare_samples(inference_model(model, scene_257x513), got)
    assert all(row['ok'] for row in rows), rows


def test_registered_backends_are_the_choices(static_onnx, scene_257x513):
    """BACKENDS holds onnxruntime and tensorrt; a backend registered later
    is a choice of the demo and runs in the inferencer."""
    from mmpdl.deployment import BACKENDS

    class CountingBackend(OnnxRuntimeBackend):
        calls = 0

        def __call__(self, image):
            CountingBackend.calls += 1
            return super().__call__(image)

    assert BACKENDS.module_dict == dict(
        onnxruntime=OnnxRuntimeBackend, tensorrt=TensorRTBackend)
    with pytest.raises(
            ValueError, match="one of .'pytorch', 'onnxruntime', "
            "'tensorrt'.$"):
        PanopticInferencer('m.onnx', backend='counting')
    BACKENDS.register_module('counting', module=CountingBackend)
    try:
        choice = load_script('tools/image_demo.py').parse_args(
            ['x.png', 'c.py', 'm', '--backend', 'counting']).backend
        got = PanopticInferencer(
            static_onnx, backend='counting')(scene_257x513)['predictions']
    finally:
        BACKENDS.module_dict.pop('counting')
    with pytest.raises(SystemExit):
        load_script('tools/image_demo.py').parse_args(
            ['x.png', 'c.py', 'm', '--backend', 'counting'])
    assert choice == 'counting' and CountingBackend.calls == 1
    assert got['panoptic_seg'].shape == scene_257x513.shape[:2]
