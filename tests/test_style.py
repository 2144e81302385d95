"""flake8, isort and yapf (setup.cfg) are part of the test command."""
import subprocess
import sys

import pytest

from repo import ROOT

TARGETS = ['mmpdl', 'tools', 'tests', 'configs', 'setup.py']


@pytest.mark.parametrize('tool,args', [
    ('flake8', []),
    ('isort', ['--check-only', '--diff']),
    ('yapf', ['--diff', '--recursive']),
])
def test_code_style(tool, args):
    proc = subprocess.run(
        [sys.executable, '-m', tool] + args + TARGETS,
        cwd=ROOT,
        capture_output=True,
        text=True)
    assert proc.returncode == 0, f'{tool} found problems:\n' + (
        proc.stdout + proc.stderr)[-5000:]
