"""Time mmpdl's panoptic post-processing (ms per image).

Runs ``mmpdl.models.post_processing.get_panoptic_segmentation`` on a
synthetic Cityscapes-like scene (19 classes, ``--instances`` thing
instances, one center peak each; see ``benchmark_inputs.py``) and prints the
median time per image, for a single image and for a batch. With
``--original-repo`` the original implementation's
``get_panoptic_segmentation`` runs on the same input in the same process:
the panoptic maps are compared and the ratio printed (the two sides are
timed in turns, so both see the same load on a shared machine).

Examples::

    python tools/analysis_tools/benchmark_postprocess.py
    python tools/analysis_tools/benchmark_postprocess.py --device cuda
    python tools/analysis_tools/benchmark_postprocess.py \\
        --original-repo /path/to/panoptic-deeplab
"""
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_data_tasks import run_post_processing  # noqa: E402
from benchmark_inputs import IGNORE_INDEX  # noqa: E402
from benchmark_inputs import LABEL_DIVISOR  # noqa: E402
from benchmark_inputs import THING_IDS  # noqa: E402
from benchmark_inputs import post_processing_inputs  # noqa: E402
from benchmark_inputs import synthetic_panoptic  # noqa: E402
from benchmark_utils import format_table  # noqa: E402
from benchmark_utils import measure  # noqa: E402
from benchmark_utils import single_task_parser  # noqa: E402

import mmpdl  # noqa: E402,F401  (applies compat fixes)


def parse_args(argv=None):
    """Command-line arguments."""
    parser = single_task_parser('ms/image of the panoptic post-processing', 50,
                                'panoptic maps')
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--threads',
        type=int,
        help='torch CPU threads (default: torch\'s own setting); on a CPU '
        'shared with other busy processes, 1 avoids OpenMP threads waiting '
        'on each other')
    return parser.parse_args(argv)


def time_batch(height: int, width: int, instances: int, batch: int,
               device: str, warmup: int, repeats: int) -> dict:
    """Median ms per image of ours on a batch of ``batch`` scenes.

    Returns:
        dict: ``ms_per_image``, ``batch`` and the :func:`measure` runs.
    """
    from mmpdl.models.post_processing import get_panoptic_segmentation
    scenes = [
        post_processing_inputs(
            synthetic_panoptic(
                height, width, num_instances=instances, seed=seed),
            seed=seed) for seed in range(batch)
    ]
    inputs = [
        torch.cat([scene[key] for scene in scenes]).to(device)
        for key in ('sem_probs', 'center', 'offsets')
    ]
    result = measure(
        lambda: get_panoptic_segmentation(
            *inputs,
            list(THING_IDS),
            label_divisor=LABEL_DIVISOR,
            ignore_index=IGNORE_INDEX), device, warmup, repeats)
    return dict(
        ms_per_image=result['median_ms'] / batch,
        batch=batch,
        runs_ms=result['runs_ms'])


def run(args) -> dict:
    """Time and print; returns the single-image row and the batch timing."""
    height, width = args.size
    row = run_post_processing(
        height,
        width,
        args.device,
        args.warmup,
        args.repeats,
        args.original_repo,
        num_instances=args.instances)[0]
    print(format_table([row]))
    print(f"single image: {row['ours_ms']:.1f} ms/image ours"
          f" ({height}x{width}, 19 classes, {row['instances_in_scene']} "
          f"instances, {args.device}, {torch.get_num_threads()} threads, "
          f'load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)')
    if row['ratio'] is not None:
        print(f"original: {row['theirs_ms']:.1f} ms/image, ours is "
              f"{row['ratio']:.1f}x faster; {row['detail']}")
    batch = None
    if args.batch > 1:
        batch = time_batch(height, width, args.instances, args.batch,
                           args.device, args.warmup, args.repeats)
        print(f"batch of {args.batch}: {batch['ms_per_image']:.1f} "
              'ms/image ours')
    return dict(single=row, batch=batch)


def main(argv=None) -> dict:
    """Parse ``argv``, then :func:`run` (torch's thread count is restored
    afterwards when ``--threads`` changed it)."""
    args = parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device is available')
    threads = torch.get_num_threads()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        return run(args)
    finally:
        torch.set_num_threads(threads)


if __name__ == '__main__':
    main()
