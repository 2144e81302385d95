"""The onnxruntime-only script of docs/deployment.md, run as a user would:
its panoptic ids equal the PyTorch model's prediction."""
import os.path as osp
import re
import subprocess
import sys

import mmcv
import numpy as np
import pytest

from mmpdl.apis import inference_model
from mmpdl.deployment import export_onnx
from .conftest import QUICKSTART, export_module
from repo import ROOT

pytest.importorskip('onnxruntime')


def docs_script() -> str:
    """The python block after the test's marker in docs/deployment.md."""
    with open(osp.join(ROOT, 'docs', 'deployment.md')) as file:
        text = file.read()
    match = re.search(
        r'test_docs_script\.py runs the block below -->\n'
        r'```python\n(.*?)```', text, re.S)
    assert match, 'docs/deployment.md lost its tested script'
    return match.group(1)


def test_docs_script_runs_without_mmpdl(tmp_path, r18_checkpoint,
                                        scene_257x513):
    script = docs_script()
    assert len(script.strip().splitlines()) <= 25
    assert 'mmpdl' not in script
    module, model = export_module(QUICKSTART, r18_checkpoint, True)
    onnx_file = export_onnx(module, str(tmp_path / 'm.onnx'), (257, 513))
    image = str(tmp_path / 'scene.png')
    mmcv.imwrite(scene_257x513, image)
    (tmp_path / 'run_onnx.py').write_text(script)
    result = subprocess.run(
        [sys.executable, 'run_onnx.py', onnx_file, image, 'out'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True)
    expected = inference_model(model, scene_257x513)
    panoptic = np.load(tmp_path / 'out.npy')
    np.testing.assert_array_equal(panoptic,
                                  expected.pred_panoptic_seg.data[0].numpy())
    ids = expected.pred_instances.instance_ids.tolist()
    assert len(ids) > 0
    printed = sorted(
        int(line.split(':')[0]) for line in result.stdout.splitlines())
    assert printed == ids
    assert mmcv.imread(str(tmp_path / 'out.png')).shape == (257, 513, 3)
