"""tools/misc/print_config.py prints an inherited config."""
import subprocess
import sys

from repo import ROOT


def test_print_config_prints_default_runtime():
    proc = subprocess.run([
        sys.executable, 'tools/misc/print_config.py',
        'configs/_base_/default_runtime.py'
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert "default_scope = 'mmpdl'" in proc.stdout


def test_print_config_missing_file_names_it():
    proc = subprocess.run(
        [sys.executable, 'tools/misc/print_config.py', 'configs/nope.py'],
        cwd=ROOT,
        capture_output=True,
        text=True)
    assert proc.returncode != 0
    assert 'configs/nope.py' in proc.stderr
