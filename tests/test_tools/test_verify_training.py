"""Opt-in: the training-parity checks of one row against each reference
(skipped without the checkouts; about a minute each on 2 CPU cores).

The original: ``$PDL_ORIGINAL_REPO`` (else ``/tmp/pdl_orig``);
detectron2: ``$MMPDL_DETECTRON2_REPO`` (else ``/work/ref/detectron2``).
"""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest

from repo import HAS_ORIGINAL, ORIGINAL, ROOT

DETECTRON2 = os.environ.get('MMPDL_DETECTRON2_REPO', '/work/ref/detectron2')


def _importable(*modules):
    return all(importlib.util.find_spec(m) is not None for m in modules)


#: the checkouts and the packages their code imports (not mmpdl's)
HAS_ORIGINAL_CODE = HAS_ORIGINAL and _importable('yacs')
HAS_DETECTRON2 = osp.isfile(
    osp.join(DETECTRON2, 'projects', 'Panoptic-DeepLab',
             'train_net.py')) and _importable('fvcore', 'iopath', 'omegaconf')


def run_script(name, *args):
    """Run ``tools/model_converters/<name>`` on this checkout's mmpdl."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + [p for p in [env.get('PYTHONPATH')] if p])
    script = osp.join(ROOT, 'tools', 'model_converters', name)
    return subprocess.run([sys.executable, script, *args],
                          capture_output=True,
                          text=True,
                          cwd=ROOT,
                          env=env)


def table_line(stdout, row):
    lines = [line for line in stdout.splitlines() if line.startswith(row)]
    assert lines, stdout
    return [cell.strip() for cell in lines[-1].split('|')[1:-1]]


@pytest.mark.slow
@pytest.mark.skipif(
    not HAS_ORIGINAL_CODE,
    reason=f'no checkout of the original at {ORIGINAL} (PDL_ORIGINAL_REPO) '
    'or no yacs')
def test_mobilenetv2_trains_as_the_original():
    # 128x256 images in 129x257 crops: scales below 1.1 pad (at a random
    # position), larger ones crop
    result = run_script(
        'verify_training_against_original.py', '--original-repo', ORIGINAL,
        '--config', 'configs/panoptic_deeplab/panoptic-deeplab_mobilenetv2-'
        'os32_8xb2-90k_cityscapes-1025x2049.py', '--iters', '3', '--crop',
        '129', '257', '--image-size', '128', '256', '--batch', '2')
    assert result.returncode == 0, result.stdout + result.stderr
    cells = table_line(result.stdout, '| mobilenetv2-os32')
    assert cells[5].startswith('same pixels & targets')
    loss, lr = float(cells[6]), float(cells[7])
    param_abs, param_rel = map(float, cells[8].split('/'))
    assert loss == 0 and lr < 1e-9 and param_rel == 0
    assert float(cells[10]) > 0  # the parameters moved
    assert cells[11] == 'PASS'
    assert result.stdout.strip().endswith('PASS')


@pytest.mark.slow
@pytest.mark.skipif(
    not HAS_DETECTRON2,
    reason=f'no detectron2 checkout at {DETECTRON2} (MMPDL_DETECTRON2_REPO)')
def test_r52_trains_as_detectron2():
    result = run_script('verify_training_against_detectron2.py',
                        '--detectron2-repo', DETECTRON2, '--rows', 'r52-dc5',
                        '--iters', '2', '--crop', '256', '512', '--batch', '2')
    assert result.returncode == 0, result.stdout + result.stderr
    cells = table_line(result.stdout, '| r52-dc5')
    assert cells[5].startswith('same pixels & targets')
    assert float(cells[6]) <= 1e-5
    assert cells[11] == 'PASS'
