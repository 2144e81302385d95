"""tools/analysis_tools/benchmark_targets.py on a small label.

No timing is asserted; with a checkout of the original (``PDL_ORIGINAL_REPO``
or /tmp/pdl_orig) the six targets must be identical.
"""
import importlib.util
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'analysis_tools')
ORIGINAL = os.environ.get('PDL_ORIGINAL_REPO', '/tmp/pdl_orig')
SMALL = ['--size', '128', '256', '--instances', '8', '--repeats', '1']


def _tool():
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    spec = importlib.util.spec_from_file_location(
        'benchmark_targets', osp.join(TOOLS, 'benchmark_targets.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ours_only(capsys):
    row = _tool().main(SMALL)
    assert row['ours_ms'] > 0 and row['theirs_ms'] is None
    assert 'ms/image' in capsys.readouterr().out


@pytest.mark.skipif(
    not osp.isdir(osp.join(ORIGINAL, 'segmentation')),
    reason='no checkout of the original implementation')
def test_targets_equal_the_original():
    row = _tool().main(SMALL + ['--original-repo', ORIGINAL])
    assert row['equal'] is True and row['max_abs_diff'] == 0
