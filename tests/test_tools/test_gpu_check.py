"""``tools/analysis_tools/gpu_check.sh``: its dry run (CPU, tiny sizes)
goes through every step the GPU run takes, and a failing step is
reported, not hidden."""
import os
import re
import subprocess
import sys
import tarfile

import pytest

from repo import ROOT

SCRIPT = os.path.join(ROOT, 'tools', 'analysis_tools', 'gpu_check.sh')


def _dry_run(tmp_path, steps: str, **env) -> str:
    """Run the dry run of ``steps``; return its summary."""
    out = tmp_path / 'out'
    env = dict(
        os.environ,
        DRY='1',
        PY=sys.executable,
        OUT=str(out),
        WORK=str(tmp_path / 'work'),
        DATA=str(tmp_path / 'data'),
        ORIG=str(tmp_path / 'no_original'),
        STEPS=steps,
        OMP_NUM_THREADS='1',
        **env)
    subprocess.run(['bash', SCRIPT],
                   cwd=ROOT,
                   env=env,
                   check=True,
                   timeout=900,
                   stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return (out / 'summary.txt').read_text()


@pytest.mark.slow
def test_dry_run_passes_every_step(tmp_path):
    """Data, one test file beside both quickstarts (one iteration), then
    the benchmarks, the deploy rows (compile, AMP) and the variants table:
    every step ends with rc=0 in this order, the tables reach the summary
    and the logs come back."""
    summary = _dry_run(tmp_path, 'data tests bench deploy variants')
    steps = re.findall(r'\] (\S+) rc=(\d+)', summary)
    assert all(rc == '0' for _, rc in steps), summary
    names = [name for name, _ in steps]
    assert names[:2] == ['data_cityscapes', 'data_coco']
    assert names[-3:] == ['bench_gpu', 'bench_deploy', 'bench_variants']
    # the suite and the two quickstarts run side by side
    assert sorted(names[2:-3]) == sorted([
        'pytest', 'train_cityscapes', 'test_cityscapes', 'train_coco',
        'test_coco'
    ]), summary
    assert 'no original checkout' in summary
    for row in ('| R18-os32 (quickstart) | torch.compile |',
                '| R18-os32 (quickstart) | AMP + channels_last |',
                '| MobileNetV2-os32 |'):
        assert row in summary
    assert re.search(r'\d+ passed', summary)
    assert summary.rstrip().endswith('done')
    with tarfile.open(tmp_path / 'out' / 'logs.tgz') as logs:
        names = set(logs.getnames())
    assert {'logs/pytest.log', 'logs/train_coco.log'} <= names
    assert {p.name
            for p in (tmp_path / 'out').iterdir()} == {
                'summary.txt', 'logs.tgz', 'bench_gpu.json',
                'bench_deploy.json', 'bench_variants.json'
            }


def test_failing_step_is_reported(tmp_path):
    """A step that fails (here: the dataset generator given a file as its
    output folder) is reported with its exit status and the run goes on."""
    (tmp_path / 'data').write_text('a file, not a folder')
    summary = _dry_run(tmp_path, 'data')
    assert re.search(r'\] data_cityscapes rc=[1-9]', summary), summary
    assert re.search(r'\] data_coco rc=[1-9]', summary), summary
    assert summary.rstrip().endswith('done')
