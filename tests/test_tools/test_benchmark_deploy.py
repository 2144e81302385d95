"""Smoke test of the deployment benchmark: a tiny run of eager PyTorch and
onnxruntime prints its table with the equality checks passed (its numbers
mean nothing)."""
import pytest

from .analysis_tool import load_script

pytest.importorskip('onnxruntime')


def test_quick_run_checks_equality_first(capsys):
    tool = load_script('tools/analysis_tools/benchmark_deploy.py',
                       'benchmark_deploy')
    rows = tool.main(['--quick', '--backends', 'onnxruntime'])
    assert [r['backend'] for r in rows] == [
        'PyTorch eager', 'onnxruntime', 'eager form (PyTorch)',
        'fixed-shape form (PyTorch)', 'fixed-shape form (onnxruntime)'
    ]
    assert all(r['same'] for r in rows)
    assert rows[2]['instances'] > 0  # the scene has instances
    assert '| R18-os32 (quickstart) | onnxruntime |' in capsys.readouterr().out
