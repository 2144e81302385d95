"""Plot loss and metric curves of training runs, or report their speed,
from the JSON scalars that mmengine writes during training
(``<work_dir>/<timestamp>/vis_data/scalars.json``: one line per logged
training iteration, one per validation).

Examples::

    # the four losses of a run: a window, or without a display
    # work_dirs/analyze_logs/curves.png
    python tools/analysis_tools/analyze_logs.py plot_curve WORK_DIR \
        --keys loss loss_sem loss_center loss_offset
    # PQ of two runs in one figure, written to a file
    python tools/analysis_tools/analyze_logs.py plot_curve RUN_A RUN_B \
        --keys PQ --legend run-a run-b --out pq.png
    # seconds per iteration of each run
    python tools/analysis_tools/analyze_logs.py cal_train_time WORK_DIR

A log is a work_dir (all its runs, oldest first: a resumed run continues
the curve and replaces what an earlier run logged from its first step
on), one ``<timestamp>`` folder of it, or a ``scalars.json`` file. A key is
a name as logged (``loss_sem``, ``cityscapes_panoptic/PQ``) or, when
unambiguous, its part after the last ``/`` (``PQ``, ``AP``, ``mIoU``).
"""
import argparse
import glob
import json
import os.path as osp
import sys

import numpy as np

from mmpdl.utils.display import default_output_dir, has_display


def scalar_files(log: str) -> list:
    """The ``scalars.json`` files of a log path, oldest run first."""
    if osp.isfile(log):
        return [log]
    for pattern in ('vis_data/scalars.json', '*/vis_data/scalars.json'):
        files = sorted(glob.glob(osp.join(glob.escape(log), pattern)))
        if files:
            return files
    raise FileNotFoundError(
        f'no scalars.json under {log!r}: give a work_dir, one of its '
        '<timestamp> folders or a scalars.json file (mmengine writes '
        '<work_dir>/<timestamp>/vis_data/scalars.json while training)')


def load_log(log: str) -> list:
    """Records (dicts with ``step``) of a log path; a later run replaces
    the records of earlier runs from its first step on."""
    records = []
    for path in scalar_files(log):
        with open(path) as file:
            run = [json.loads(line) for line in file if line.strip()]
        if run:
            first = run[0]['step']
            records = [r for r in records if r['step'] < first] + run
    return records


def resolve_key(records: list, key: str, log: str) -> str:
    """The logged name of ``key``: itself, or the one name whose part
    after the last ``/`` it is."""
    names = sorted({name for record in records for name in record})
    if key in names:
        return key
    matches = [name for name in names if name.rsplit('/', 1)[-1] == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise KeyError(f'{key!r} is ambiguous in {log!r}: {matches}; '
                       'give the full name')
    shown = [
        n for n in names if n not in ('iter', 'step') and (
            n.startswith('loss') or '_' not in n.rsplit('/', 1)[-1])
    ]
    raise KeyError(f'{key!r} is not in {log!r}; logged names include '
                   f'{shown}')


def curve(records: list, name: str) -> tuple:
    """(steps, values, is_validation) of one logged name: float64 arrays
    of the steps and values of every record that has it."""
    points = [(r['step'], r[name]) for r in records if name in r]
    is_val = not any('iter' in r for r in records if name in r)
    steps, values = zip(*points)
    return np.array(steps, float), np.array(values, float), is_val


def plot_curve(logs: list, keys: list, legend=None, title=None):
    """A matplotlib figure with one line per (log, key), in that order;
    training scalars as lines, validation metrics as points."""
    import matplotlib.pyplot as plt
    legend = legend or [
        key if len(logs) == 1 else f'{log}: {key}' for log in logs
        for key in keys
    ]
    if len(legend) != len(logs) * len(keys):
        raise ValueError(f'--legend needs {len(logs) * len(keys)} labels '
                         f'(logs x keys), got {len(legend)}')
    figure, axes = plt.subplots(figsize=(8, 5))
    labels = iter(legend)
    for log in logs:
        records = load_log(log)
        for key in keys:
            name = resolve_key(records, key, log)
            steps, values, is_val = curve(records, name)
            style = dict(marker='o') if is_val else dict(linewidth=0.8)
            axes.plot(steps, values, label=next(labels), **style)
            print(f'{log}: {name}, {len(steps)} points')
    axes.set_xlabel('iteration')
    axes.legend()
    if title:
        axes.set_title(title)
    return figure


def train_time(log: str) -> dict:
    """Seconds per training iteration (the logged ``time`` of each logged
    iteration) of a log: mean, std, fastest, slowest, and their count."""
    times = np.array(
        [r['time'] for r in load_log(log) if 'iter' in r and 'time' in r])
    if times.size == 0:
        raise KeyError(f'{log!r} logged no training iteration time')
    return dict(
        mean=times.mean(),
        std=times.std(),
        fastest=times.min(),
        slowest=times.max(),
        count=times.size)


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Analyze training logs')
    commands = parser.add_subparsers(dest='command', required=True)
    plot = commands.add_parser('plot_curve', help='plot curves of keys')
    plot.add_argument('logs', nargs='+', help='work_dirs or scalars.json')
    plot.add_argument(
        '--keys', nargs='+', default=['loss'], help='names to plot')
    plot.add_argument('--legend', nargs='+', help='one label per log x key')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument(
        '--out',
        help='picture to write (.png, .pdf, ...); default: a window, or '
        'work_dirs/analyze_logs/curves.png without a display')
    plot.add_argument('--backend', help='matplotlib backend')
    timing = commands.add_parser(
        'cal_train_time', help='seconds per training iteration')
    timing.add_argument('logs', nargs='+', help='work_dirs or scalars.json')
    return parser.parse_args(argv)


def main(argv=None):
    """Run a subcommand; returns the written picture path, or None when
    shown in a window, or the timings of ``cal_train_time``."""
    args = parse_args(argv)
    if args.command == 'cal_train_time':
        timings = [train_time(log) for log in args.logs]
        for log, t in zip(args.logs, timings):
            print(f'{log}: {t["mean"]:.4f} s/iter (std {t["std"]:.4f}, '
                  f'fastest {t["fastest"]:.4f}, slowest {t["slowest"]:.4f}, '
                  f'{t["count"]} logged iterations)')
        return timings
    import matplotlib.pyplot as plt
    show = args.out is None and has_display()
    if args.backend or not show:
        plt.switch_backend(args.backend or 'Agg')
    figure = plot_curve(args.logs, args.keys, args.legend, args.title)
    if show:
        plt.show()
        return None
    out = args.out or osp.join(
        default_output_dir('analyze_logs'), 'curves.png')
    if osp.dirname(out):
        from mmengine.utils import mkdir_or_exist
        mkdir_or_exist(osp.dirname(out))
    figure.savefig(out)
    plt.close(figure)
    note = '' if args.out else 'no display, so '
    print(f'{note}wrote the curves to {out}')
    return out


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f'analyze_logs.py: error: {error.args[0]}')
