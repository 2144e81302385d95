"""tools/analysis_tools/benchmark_targets.py on a small label.

No timing is asserted; with a checkout of the original (``PDL_ORIGINAL_REPO``
or /tmp/pdl_orig) the six targets must be identical.
"""
import pytest

from .analysis_tool import HAS_ORIGINAL, ORIGINAL, load_tool

SMALL = ['--size', '128', '256', '--instances', '8', '--repeats', '1']


def _tool():
    return load_tool('benchmark_targets')


def test_ours_only(capsys):
    row = _tool().main(SMALL)
    assert row['ours_ms'] > 0 and row['theirs_ms'] is None
    assert 'ms/image' in capsys.readouterr().out


@pytest.mark.skipif(
    not HAS_ORIGINAL, reason='no checkout of the original implementation')
def test_targets_equal_the_original():
    row = _tool().main(SMALL + ['--original-repo', ORIGINAL])
    assert row['equal'] is True and row['max_abs_diff'] == 0
