"""tools/analysis_tools/benchmark_postprocess.py on a tiny scene.

No timing is asserted: the tool must report ours per image, single and
batched, and, when a checkout of the original is found (``PDL_ORIGINAL_REPO``
or /tmp/pdl_orig), an identical panoptic map.
"""
import importlib.util
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'analysis_tools')
ORIGINAL = os.environ.get('PDL_ORIGINAL_REPO', '/tmp/pdl_orig')
TINY = ['--size', '96', '192', '--instances', '6', '--repeats', '1']


def _tool():
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    spec = importlib.util.spec_from_file_location(
        'benchmark_postprocess', osp.join(TOOLS, 'benchmark_postprocess.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ours_single_and_batched(capsys):
    result = _tool().main(TINY + ['--batch', '2'])
    single = result['single']
    assert single['ours_ms'] > 0 and single['theirs_ms'] is None
    assert single['instances_in_scene'] == 6
    assert result['batch']['batch'] == 2
    assert result['batch']['ms_per_image'] > 0
    out = capsys.readouterr().out
    assert 'ms/image ours' in out and 'batch of 2' in out


@pytest.mark.skipif(
    not osp.isdir(osp.join(ORIGINAL, 'segmentation')),
    reason='no checkout of the original implementation')
def test_equal_to_the_original():
    single = _tool().main(
        TINY + ['--batch', '1', '--original-repo', ORIGINAL])['single']
    assert single['equal'] is True
    assert single['differing_pixels'] == 0
    assert single['ratio'] > 0
