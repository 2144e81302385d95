"""Train and evaluate the quickstart config with several seeds and print one
row per seed: how much the quickstart's numbers depend on the seed.

Usage::

    python tools/analysis_tools/quickstart_seeds.py [--seeds 0 1 2] \
        [--jobs 2] [--config CONFIG] [--data-root data/synthetic_cityscapes] \
        [--work-dir work_dirs/quickstart_seeds] [--cfg-options KEY=VALUE ...]

Each seed trains with ``tools/train.py --cfg-options randomness.seed=N`` into
``<work-dir>/seed<N>`` (a seed whose last checkpoint exists is not trained
again) and is evaluated on the val split with ``tools/test.py``. ``--jobs``
trainings run at once, each with ``cores // jobs`` torch threads unless
``OMP_NUM_THREADS`` is set.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = ('configs/panoptic_deeplab/panoptic-deeplab_r18-os32_1xb2-800iter_'
          'synthetic-cityscapes-256x512.py')
# (column title, metric name suffix): values are looked up by the part of
# the metric key after the metric's prefix (e.g. cityscapes_panoptic/PQ_th)
COLUMNS = (
    ('PQ', 'PQ'),
    ('SQ', 'SQ'),
    ('RQ', 'RQ'),
    ('PQ_th', 'PQ_th'),
    ('PQ_st', 'PQ_st'),
    ('AP', 'AP'),
    ('AP (sem x ctr)', 'AP_sem_x_ctr'),
    ('AP50', 'AP50'),
    ('mIoU', 'mIoU'),
)


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Quickstart numbers for several seeds, one row each')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--jobs', type=int, default=2, help='trainings run at once')
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--data-root', default='data/synthetic_cityscapes')
    parser.add_argument('--work-dir', default='work_dirs/quickstart_seeds')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='passed on to tools/train.py and tools/test.py')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be at least 1, got {args.jobs}')
    return args


def data_options(data_root: str) -> List[str]:
    """``--cfg-options`` entries that point every split at ``data_root``."""
    return [
        f'{split}_dataloader.dataset.data_root={data_root}'
        for split in ('train', 'val', 'test')
    ]


def train_command(config: str, seed: int, work_dir: str,
                  options: Sequence[str]) -> List[str]:
    """The ``tools/train.py`` command line of one seed."""
    return [
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir,
        '--resume', '--cfg-options', f'randomness.seed={seed}', *options
    ]


def seconds_per_iter(log_lines: Sequence[str]) -> Optional[float]:
    """Mean ``time`` (s/iter) over the training records of an mmengine
    json log (one dict per line), or None when there is none."""
    times = []
    for line in log_lines:
        record = json.loads(line)
        if 'time' in record and 'loss' in record:
            times.append(float(record['time']))
    return sum(times) / len(times) if times else None


def pick_metrics(metrics: Dict[str, float]) -> Dict[str, float]:
    """The table's columns from a test run's metrics (keys with or without
    a ``<metric>/`` prefix)."""
    by_name = {key.rsplit('/', 1)[-1]: value for key, value in metrics.items()}
    return {title: by_name[name] for title, name in COLUMNS if name in by_name}


def format_table(rows: Dict[int, Dict[str, float]]) -> str:
    """A markdown table, one row per seed (``s/iter`` when known)."""
    titles = [title for title, _ in COLUMNS] + ['s/iter']
    lines = [
        '| seed | ' + ' | '.join(titles) + ' |', '|---|' + '---|' * len(titles)
    ]
    for seed, row in rows.items():
        cells = []
        for title in titles:
            digits = 2 if title == 's/iter' else 1
            cells.append(f'{row[title]:.{digits}f}' if title in row else '-')
        lines.append(f'| {seed} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _run_trainings(args, seeds_to_train, options):
    env = dict(os.environ)
    if not env.get('OMP_NUM_THREADS'):
        from mmpdl.utils import choose_cpu_threads
        from mmpdl.utils.cpu_threads import available_cores
        threads, _ = choose_cpu_threads(available_cores(), args.jobs)
        env['OMP_NUM_THREADS'] = str(threads)
    pending, running, failed = list(seeds_to_train), [], []
    while pending or running:
        while pending and len(running) < args.jobs:
            seed = pending.pop(0)
            work = osp.join(args.work_dir, f'seed{seed}')
            os.makedirs(work, exist_ok=True)
            log = open(osp.join(work, 'train_output.txt'), 'w')
            cmd = train_command(args.config, seed, work, options)
            print(f'[seed {seed}] training: {" ".join(cmd[1:])}', flush=True)
            running.append((seed, log,
                            subprocess.Popen(
                                cmd,
                                stdout=log,
                                stderr=subprocess.STDOUT,
                                env=env)))
        seed, log, proc = running.pop(0)
        proc.wait()
        log.close()
        if proc.returncode != 0:
            failed.append(seed)
    if failed:
        raise RuntimeError(f'training failed for seed(s) {failed}; see '
                           f'{args.work_dir}/seed<N>/train_output.txt')


def _evaluate(args, cfg, seed, options):
    work = osp.join(args.work_dir, f'seed{seed}')
    ckpt = osp.join(work, f'iter_{cfg.train_cfg.max_iters}.pth')
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'test.py'), args.config, ckpt, '--work-dir',
        osp.join(work, 'test'), '--cfg-options', *options
    ]
    with open(osp.join(work, 'test_output.txt'), 'w') as log:
        subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=True)
    newest = max(
        glob.glob(osp.join(work, 'test', '*', '*.json')), key=osp.getmtime)
    with open(newest) as f:
        row = pick_metrics(json.load(f))
    train_logs = glob.glob(osp.join(work, '*', 'vis_data', '*.json'))
    if train_logs:
        with open(max(train_logs, key=osp.getmtime)) as f:
            speed = seconds_per_iter(f.read().splitlines())
        if speed is not None:
            row['s/iter'] = speed
    return row


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    from mmpdl.datasets import make_synthetic_cityscapes
    make_synthetic_cityscapes(args.data_root)
    options = data_options(args.data_root) + list(args.cfg_options)
    cfg = Config.fromfile(args.config)
    for option in args.cfg_options:
        key, value = option.split('=', 1)
        if key == 'train_cfg.max_iters':
            cfg.train_cfg.max_iters = int(value)
    last = f'iter_{cfg.train_cfg.max_iters}.pth'
    to_train = [
        s for s in args.seeds
        if not osp.isfile(osp.join(args.work_dir, f'seed{s}', last))
    ]
    _run_trainings(args, to_train, options)
    rows = {seed: _evaluate(args, cfg, seed, options) for seed in args.seeds}
    print(format_table(rows))
    return rows


if __name__ == '__main__':
    main()
