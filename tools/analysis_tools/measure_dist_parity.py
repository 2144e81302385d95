"""How far P gloo processes x B images are from 1 process x PB images.

Usage::

    python tools/analysis_tools/measure_dist_parity.py \\
        [--processes 2] [--images-per-process 2] [--crop 65 129] \\
        [--dtype float32] [--data-root DIR] [--config CONFIG]

One training step (the config's model and optimizer, no dropout, no
pretrained weights) from the same initial weights: in P processes set up as
``tools/train.py`` sets up a CPU-only distributed run (``config``: the
config's SyncBN as CPUSyncBN; ``BN``: plain BN in each process), and in one
process with BN over all P x B images (``union``: the losses over all
images at once; ``per_process_losses``: each loss on every process's B
images, averaged, which is what SyncBN processes must equal). Prints a
table of relative differences (see ``mmpdl.testing.distributed_parity``).
Without ``--data-root``, 2 images of the built-in dataset are written to a
temporary folder; with it, that Cityscapes-format dataset is read.
"""
import argparse
import tempfile

import torch

LOSSES = ('loss_sem', 'loss_center', 'loss_offset')
COLUMNS = ('grad_rel_l2', 'grad_max_rel', 'param_max_abs', 'stats_max_rel')


def parse_args(argv=None):
    """Parse the command line."""
    from mmpdl.testing.parity_steps import QUICKSTART
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=QUICKSTART)
    parser.add_argument('--processes', type=int, default=2)
    parser.add_argument('--images-per-process', type=int, default=2)
    parser.add_argument('--crop', type=int, nargs=2, default=(65, 129))
    parser.add_argument(
        '--dtype', choices=['float32', 'float64'], default='float32')
    parser.add_argument(
        '--data-root',
        help='a Cityscapes-format dataset to read (default: write 2 tiny '
        'images of the built-in dataset to a temporary folder)')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def format_table(result: dict) -> str:
    """A markdown table of :func:`measure_parity`'s result, one row per
    comparison: relative loss differences, then the gradient, parameter and
    BN-statistics columns of ``compare_steps``."""
    header = ('comparison', ) + LOSSES + COLUMNS
    lines = [
        '| ' + ' | '.join(header) + ' |',
        '|' + '---|' * len(header),
    ]
    for name, row in result.items():
        cells = [name] + [f'{row["losses"][k][2]:.2e}' for k in LOSSES]
        cells += [f'{row[k]:.2e}' for k in COLUMNS]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    from mmpdl.testing.distributed_parity import measure_parity
    options = dict(
        config=args.config,
        images_per_process=args.images_per_process,
        world_size=args.processes,
        crop_size=tuple(args.crop),
        dtype=getattr(torch, args.dtype),
        threads=args.threads,
        seed=args.seed)
    if args.data_root:
        result = measure_parity(
            args.data_root, write_tiny_data=False, **options)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = measure_parity(tmp, **options)
    print(f'{args.processes} processes x {args.images_per_process} images '
          f'vs 1 process, crop {args.crop[0]}x{args.crop[1]}, {args.dtype}')
    print(format_table(result))
    for name, row in result.items():
        losses = ', '.join(f'{k} {ours:.6g} / {ref:.6g}'
                           for k, (ours, ref, _) in row['losses'].items())
        print(f'{name}: {losses} (processes / one process)')
    return result


if __name__ == '__main__':
    main()
