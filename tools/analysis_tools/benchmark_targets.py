"""Time mmpdl's training-target generation (ms per image).

Starts from the id-encoding RGB image and segment list of a synthetic
Cityscapes-like 1024x2048 panoptic label (``--instances`` thing instances,
stuff bands, a crowd region, void; see ``benchmark_inputs.py``), decodes it
as ``LoadPanopticAnnotations`` does and runs ``GeneratePanopticTargets``
(center heatmap, offsets, three weight maps); prints the median ms/image.
With ``--original-repo`` the original ``PanopticTargetGenerator`` runs on
the same RGB image in the same process: the six targets are compared and
the ratio printed.

Examples::

    python tools/analysis_tools/benchmark_targets.py
    python tools/analysis_tools/benchmark_targets.py \\
        --original-repo /path/to/panoptic-deeplab
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_data_tasks import run_target_generation  # noqa: E402
from benchmark_utils import format_table, single_task_parser  # noqa: E402

import mmpdl  # noqa: E402,F401  (applies compat fixes)


def parse_args(argv=None):
    """Command-line arguments."""
    return single_task_parser(
        'ms/image of the panoptic training-target generation', 30,
        'targets').parse_args(argv)


def main(argv=None) -> dict:
    """Run and print; returns the result row."""
    args = parse_args(argv)
    height, width = args.size
    row = run_target_generation(
        height,
        width,
        args.warmup,
        args.repeats,
        args.original_repo,
        num_instances=args.instances)[0]
    print(format_table([row]))
    print(f"ours: {row['ours_ms']:.1f} ms/image ({height}x{width}, "
          f'{args.instances} instances, decoding included)')
    if row['ratio'] is not None:
        print(f"original: {row['theirs_ms']:.1f} ms/image, ours is "
              f"{row['ratio']:.1f}x faster; {row['detail']}")
    return row


if __name__ == '__main__':
    main()
