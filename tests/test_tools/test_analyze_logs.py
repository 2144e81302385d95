"""tools/analysis_tools/analyze_logs.py on hand-written scalars.json files:
the plotted points are the logged numbers."""
import json
import os.path as osp

import numpy as np
import pytest

from repo import load_script

TOOL = 'tools/analysis_tools/analyze_logs.py'


def write_run(work_dir, stamp, records):
    """``<work_dir>/<stamp>/vis_data/scalars.json`` with one line per
    record, as mmengine writes it."""
    folder = work_dir / stamp / 'vis_data'
    folder.mkdir(parents=True)
    with open(folder / 'scalars.json', 'w') as file:
        file.writelines(json.dumps(r) + '\n' for r in records)


def train(step, loss, time=0.5):
    return dict(loss=loss, loss_sem=loss / 2, time=time, iter=step, step=step)


def val(step, pq):
    return {'cityscapes_panoptic/PQ': pq, 'mIoU': 2 * pq, 'step': step}


@pytest.fixture
def work_dir(tmp_path):
    """A run to iteration 30 (validation at 20), resumed from 20 by a
    second run to 40 (validation at 40)."""
    root = tmp_path / 'work'
    write_run(root, '20260101_000000',
              [train(10, 3.0),
               train(20, 2.5),
               val(20, 11.0),
               train(30, 9.9)])
    write_run(
        root, '20260101_010000',
        [train(30, 2.0, time=1.5),
         train(40, 1.5, time=1.0),
         val(40, 22.0)])
    return str(root)


def lines_of(figure):
    return {
        line.get_label(): (line.get_xdata(), line.get_ydata())
        for line in figure.axes[0].get_lines()
    }


def test_curves_are_the_logged_numbers(work_dir):
    tool = load_script(TOOL)
    figure = tool.plot_curve([work_dir], ['loss', 'PQ', 'mIoU'])
    lines = lines_of(figure)
    # the resumed run replaces step 30 of the first run
    np.testing.assert_array_equal(lines['loss'][0], [10, 20, 30, 40])
    np.testing.assert_array_equal(lines['loss'][1], [3.0, 2.5, 2.0, 1.5])
    np.testing.assert_array_equal(lines['PQ'][0], [20, 40])
    np.testing.assert_array_equal(lines['PQ'][1], [11.0, 22.0])
    np.testing.assert_array_equal(lines['mIoU'][1], [22.0, 44.0])
    markers = {
        line.get_label(): line.get_marker()
        for line in figure.axes[0].get_lines()
    }
    assert markers['PQ'] == 'o' and markers['loss'] == 'None'


def test_two_logs_legend_and_out_file(work_dir, tmp_path):
    tool = load_script(TOOL)
    other = tmp_path / 'other.json'
    other.write_text(json.dumps(train(5, 7.0)) + '\n')
    out = str(tmp_path / 'pics' / 'loss.png')
    assert tool.main([
        'plot_curve', work_dir,
        str(other), '--keys', 'loss_sem', '--legend', 'a', 'b', '--out', out,
        '--title', 'semantic loss'
    ]) == out
    with open(out, 'rb') as file:
        assert file.read(8) == b'\x89PNG\r\n\x1a\n'
    figure = tool.plot_curve([work_dir, str(other)], ['loss_sem'], ['a', 'b'])
    lines = lines_of(figure)
    np.testing.assert_array_equal(lines['a'][1], [1.5, 1.25, 1.0, 0.75])
    np.testing.assert_array_equal(lines['b'][1], [3.5])
    default = tool.plot_curve([work_dir, str(other)], ['loss'])
    assert list(lines_of(default)) == [f'{work_dir}: loss', f'{other}: loss']


def test_without_out_and_display_writes_default(work_dir, tmp_path,
                                                monkeypatch, capsys):
    tool = load_script(TOOL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    out = tool.main(['plot_curve', work_dir])
    assert out == osp.join('work_dirs', 'analyze_logs', 'curves.png')
    assert (tmp_path / out).is_file()
    assert f'wrote the curves to {out}' in capsys.readouterr().out


def test_train_time(work_dir):
    timing = load_script(TOOL).main(['cal_train_time', work_dir])[0]
    # logged times after the resume: 0.5, 0.5 (run 1), 1.5, 1.0 (run 2)
    assert timing['count'] == 4
    assert timing['mean'] == pytest.approx(0.875)
    assert (timing['fastest'], timing['slowest']) == (0.5, 1.5)


def test_bad_input(work_dir, tmp_path):
    tool = load_script(TOOL)
    with pytest.raises(KeyError, match=r"'PQ_car' is not in .*'loss'"):
        tool.plot_curve([work_dir], ['PQ_car'])
    with pytest.raises(FileNotFoundError, match='no scalars.json under'):
        tool.plot_curve([str(tmp_path / 'empty')], ['loss'])
    with pytest.raises(ValueError, match='needs 2 labels'):
        tool.plot_curve([work_dir], ['loss', 'PQ'], ['only-one'])
    ambiguous = tmp_path / 'ambiguous.json'
    ambiguous.write_text(json.dumps({'a/PQ': 1, 'b/PQ': 2, 'step': 1}))
    with pytest.raises(KeyError, match='ambiguous'):
        tool.plot_curve([str(ambiguous)], ['PQ'])
