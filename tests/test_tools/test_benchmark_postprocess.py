"""tools/analysis_tools/benchmark_postprocess.py on a tiny scene.

No timing is asserted: the tool must report ours per image, single and
batched, and, when a checkout of the original is found (``PDL_ORIGINAL_REPO``
or /tmp/pdl_orig), an identical panoptic map.
"""
import pytest

from .analysis_tool import HAS_ORIGINAL, ORIGINAL, load_tool

TINY = ['--size', '96', '192', '--instances', '6', '--repeats', '1']


def _tool():
    return load_tool('benchmark_postprocess')


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
    not HAS_ORIGINAL, reason='no checkout of the original implementation')
def test_equal_to_the_original():
    single = _tool().main(
        TINY + ['--batch', '1', '--original-repo', ORIGINAL])['single']
    assert single['equal'] is True
    assert single['differing_pixels'] == 0
    assert single['ratio'] > 0


def test_threads_option_is_restored(capsys):
    torch = pytest.importorskip('torch')
    before = torch.get_num_threads()
    result = _tool().main(TINY + ['--batch', '1', '--threads', '1'])
    assert result['batch'] is None
    assert '1 threads' in capsys.readouterr().out
    assert torch.get_num_threads() == before


def test_measure_alternating_takes_turns():
    utils = load_tool('benchmark_utils')
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
