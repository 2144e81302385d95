"""tools/analysis_tools/benchmark.py runs its tasks on tiny inputs.

No timing is asserted: only that every selected task yields a row with our
timing, and that the comparisons against independent oracles hold (PQ of
cityscapesscripts' ``evaluatePanoptic``; the original implementation when a
checkout is found through ``PDL_ORIGINAL_REPO`` or at /tmp/pdl_orig).
"""
import json
import multiprocessing

import pytest
import torch
from benchmark_tasks import utils

from repo import HAS_ORIGINAL, ORIGINAL, ROOT, load_script


def _load_suite():
    return load_script('tools/analysis_tools/benchmark.py', 'benchmark_main')


def _run(tmp_path, monkeypatch, *extra):
    monkeypatch.chdir(ROOT)
    out = tmp_path / 'results.json'
    rows = _load_suite().main([
        '--quick', '--repeats', '1', '--model-repeats', '1', '--out',
        str(out), *extra
    ])
    with open(out) as f:
        saved = json.load(f)
    assert saved['rows'] == json.loads(json.dumps(rows))
    assert saved['meta']['quick'] is True
    return {row['task']: row for row in saved['rows']}


def test_our_side_and_official_evaluator(tmp_path, monkeypatch):
    rows = _run(tmp_path, monkeypatch, '--task', 'postprocess', 'targets',
                'metrics', 'model', '--models', 'mbnv2', '--batch', '2')
    assert set(rows) == {
        'post-processing', 'post-processing (batch of 2, per image)',
        'target generation', 'panoptic eval (4 imgs)',
        'MobileNetV2-os32 forward (eval)',
        'MobileNetV2-os32 forward+backward (train)'
    }
    for task, row in rows.items():
        assert row['ours_ms'] is not None and row['ours_ms'] > 0, row
        assert row['ours_peak_mib'] > 0, row
    pq = rows['panoptic eval (4 imgs)']
    assert pq['equal'] is True, pq
    assert pq['pq_ours'] == pytest.approx(pq['pq_official'], abs=1e-9)
    assert 0 < pq['pq_official'] < 100
    # without the original, nothing is compared for these tasks
    assert rows['post-processing']['equal'] is None
    assert rows['post-processing']['theirs_ms'] is None


def test_coco_metrics_task_equals_pq_compute(tmp_path, monkeypatch):
    rows = _run(tmp_path, monkeypatch, '--task', 'coco-metrics')
    tasks = [
        'COCO panoptic eval (4 imgs)',
        'COCO panoptic eval (4 imgs, official in 1 process)'
    ]
    procs = multiprocessing.cpu_count()
    if procs > 1:  # ours split over forked ranks too
        tasks.append(f'COCO panoptic eval (4 imgs, both in {procs} processes)')
        assert rows[tasks[-1]]['processes_ours'] == procs
    for task in tasks:
        row = rows[task]
        # PQ, SQ and RQ of all 133 classes and the groups agree
        assert row['equal'] is True, row
        assert row['max_abs_diff'] < 1e-9
        assert row['pq_ours'] == pytest.approx(row['pq_official'], abs=1e-9)
        assert 0 < row['pq_official'] < 100
        assert row['ours_ms'] > 0 and row['theirs_ms'] > 0
    from benchmark_tasks.coco_metrics_task import coco_like_meta
    meta = coco_like_meta()
    ids = meta['label_ids']
    assert len(ids) == 133 and len(set(ids)) == 133
    assert max(ids[:80]) <= 90 and min(ids[80:]) >= 92 and max(ids) > 133


@pytest.mark.skipif(
    not HAS_ORIGINAL,
    reason='no checkout of the original panoptic-deeplab '
    '(set PDL_ORIGINAL_REPO)')
def test_against_original(tmp_path, monkeypatch):
    rows = _run(tmp_path, monkeypatch, '--original-repo', ORIGINAL, '--task',
                'postprocess', 'targets', '--batch', '1')
    post = rows['post-processing']
    assert post['equal'] is True, post
    assert post['unexplained_pixels'] == 0
    assert post['theirs_ms'] > 0 and post['ratio'] > 0
    targets = rows['target generation']
    assert targets['equal'] is True, targets
    assert targets['max_abs_diff'] <= 1e-4


@pytest.mark.skipif(
    not HAS_ORIGINAL,
    reason='no checkout of the original panoptic-deeplab '
    '(set PDL_ORIGINAL_REPO)')
def test_models_against_original(tmp_path, monkeypatch):
    # the original builds its models from YAML configs through yacs
    pytest.importorskip('yacs')
    rows = _run(tmp_path, monkeypatch, '--original-repo', ORIGINAL, '--task',
                'model', '--models', 'mbnv2')
    # both sides are timed in turns and their outputs compared
    for task in ('forward (eval)', 'forward+backward (train)'):
        row = rows[f'MobileNetV2-os32 {task}']
        assert row['equal'] is True, row
        assert row['theirs_ms'] > 0 and row['ours_ms'] > 0


def test_size_instances_and_threads_options(tmp_path, monkeypatch, capsys):
    before = torch.get_num_threads()
    rows = _run(tmp_path, monkeypatch, '--task', 'postprocess', '--size', '96',
                '192', '--instances', '6', '--batch', '1', '--threads', '1')
    row = rows['post-processing']
    assert row['instances_in_scene'] == 6 and row['size'] == [96, 192]
    assert '(1 threads)' in capsys.readouterr().out
    assert torch.get_num_threads() == before


def test_a_task_that_fails_gets_a_not_run_row(tmp_path, monkeypatch, capsys):
    suite = _load_suite()

    def fail(task, args):
        raise RuntimeError('no data | here\nmore')

    monkeypatch.setattr(suite, '_task_rows', fail)
    rows = suite.main(['--task', 'metrics', '--out', str(tmp_path / 'r.json')])
    assert rows[0]['detail'] == 'not run: RuntimeError: no data / here'
    assert rows[0]['ours_ms'] is None and rows[0]['ratio'] is None
    assert ('| metrics | - | - | - | - | - | - | not run: RuntimeError: no '
            'data / here |') in capsys.readouterr().out


def test_measure_alternating_takes_turns():
    calls = []
    first, second = utils.measure_alternating(
        [lambda: calls.append('a') or len(calls), lambda: calls.append('b')],
        'cpu',
        warmup=2,
        repeats=3)
    assert calls == ['a', 'b'] * 5
    assert first['output'] == 1 and second['output'] is None
    for result in (first, second):
        assert len(result['runs_ms']) == 3
        assert result['median_ms'] >= 0 and result['peak_mib'] > 0
        assert 'baseline' not in result
    # measure() is its one-function case
    single = utils.measure(lambda: 7, 'cpu', warmup=1, repeats=2)
    assert single['output'] == 7 and len(single['runs_ms']) == 2


def test_deploy_task_checks_equality_first(tmp_path, monkeypatch, capsys):
    """``--task deploy``: a tiny run of eager PyTorch and onnxruntime prints
    its table with the equality checks passed (its numbers mean nothing)."""
    pytest.importorskip('onnxruntime')
    monkeypatch.chdir(ROOT)
    rows = _load_suite().main([
        '--task', 'deploy', '--quick', '--backends', 'onnxruntime', '--out',
        str(tmp_path / 'results.json')
    ])
    assert [r['backend'] for r in rows] == [
        'PyTorch eager', 'onnxruntime', 'eager form (PyTorch)',
        'fixed-shape form (PyTorch)', 'fixed-shape form (onnxruntime)'
    ]
    assert all(r['same'] for r in rows)
    assert rows[2]['instances'] > 0  # the scene has instances
    assert '| R18-os32 (quickstart) | onnxruntime |' in capsys.readouterr().out


def test_label_differences_count_flips_and_ties():
    """Hand-built maps: of two flipped semantic pixels, the one whose
    reference logits are 0.15 apart is a tie for a largest logit change
    of 0.1 (each of the two may move by 0.1: 2 x 0.1 >= 0.15), the one 1.0
    apart is not; one panoptic pixel differs."""
    from benchmark_tasks.deploy_task import label_differences
    from mmengine.structures import PixelData

    from mmpdl.structures import PanopticDataSample

    def sample(logits, sem, pan):
        s = PanopticDataSample()
        s.seg_logits = PixelData(data=torch.tensor(logits))
        s.pred_sem_seg = PixelData(data=torch.tensor([sem]))
        s.pred_panoptic_seg = PixelData(data=torch.tensor([pan]))
        return s

    ref = sample([[[1.0, 2.0, 0.0]], [[0.85, 1.0, 5.0]]], [[0, 0, 1]],
                 [[0, 0, 1000]])
    got = sample([[[0.9, 2.0, 0.0]], [[0.85, 1.0, 5.0]]], [[1, 1, 1]],
                 [[0, 1000, 1000]])
    assert label_differences(ref, got) == dict(
        sem_px=2, sem_px_at_ties=1, pan_px=1)


def test_variants_task_counts_and_times(tmp_path, monkeypatch, capsys):
    """``--task variants``: parameters (the zoo's numbers), FLOPs (those of
    get_flops.py) and every timing of each model; a model whose config is
    missing gets a row saying so."""
    from benchmark_tasks import variants_task
    count = load_script('tools/analysis_tools/get_flops.py').count
    monkeypatch.setitem(variants_task.VARIANTS, 'missing',
                        ('Missing', 'panoptic-deeplab_none.py'))
    monkeypatch.chdir(ROOT)
    rows = _load_suite().main([
        '--task', 'variants', '--quick', '--variant-models', 'mbnv2',
        'mnv3s-os16', 'missing', '--out',
        str(tmp_path / 'results.json')
    ])
    mbnv2, mnv3s, missing = rows
    assert (mbnv2['params'], mnv3s['params']) == (7_719_814, 10_483_174)
    for row in (mbnv2, mnv3s):
        config = f"configs/panoptic_deeplab/{row['config']}"
        assert row['flops'] == count(config, (65, 129))['flops'] > 0
        assert 0 < row['head_params'] < row['params']
        for key in ('network_ms', 'post_ms', 'end_to_end_ms'):
            assert row[key] > 0, key
        assert row['network_post_ms'] == pytest.approx(row['network_ms'] +
                                                       row['post_ms'])
        assert row['size'] == [65, 129]
    assert missing['note'].startswith('not run')
    out = capsys.readouterr().out
    assert '| MobileNetV3-Small-os16 | 10,483,174 |' in out
    assert '| Missing | not run' in out
