"""Benchmark mmpdl side by side with the original and the official scripts.

Tasks (``--task``, several allowed; ``all`` is the default): ``postprocess``
(panoptic post-processing, single image and a batch), ``targets`` (training
targets from the panoptic PNG), ``metrics`` (panoptic evaluation against
cityscapesscripts), ``coco-metrics`` (the same on 500 COCO-size images of a
133-class list against its ``pq_compute``) and ``model`` (forward /
forward+backward of the models of ``--models``). Each runs on identical
inputs for both sides after checking that their outputs agree; one Markdown
table (task, ours, original/official, ratio = how many times faster ours
is, equal?, peak memory) is printed and the rows are written as JSON.

``deploy`` (only when named; not part of ``all``) times the whole inference
(network + post-processing) of ``--deploy-models`` at ``--shape`` with
PyTorch eager, ``torch.compile`` and onnxruntime (TensorRT on a GPU), after
checking that they give the same outputs, and prints its own table.
``variants`` (only when named) gives the parameters, FLOPs and ms/image
(network, post-processing, both, the whole ``inference_model``) of
``--variant-models`` at ``--shape``: MobileNetV3-Large/Small vs
MobileNetV2, detectron2's DSConv head vs its regular one.

Examples::

    python tools/analysis_tools/benchmark.py \\
        --original-repo /path/to/panoptic-deeplab --out results.json
    python tools/analysis_tools/benchmark.py --task postprocess targets \\
        --original-repo /path/to/panoptic-deeplab --threads 1
    python tools/analysis_tools/benchmark.py --task model --device cuda \\
        --amp --original-repo /path/to/panoptic-deeplab
    python tools/analysis_tools/benchmark.py --task deploy --threads 1
    python tools/analysis_tools/benchmark.py --task variants --threads 1

Without ``--original-repo`` only mmpdl's side and the cityscapesscripts
comparison (panoptic evaluation) run.
"""
import argparse
import os
import os.path as osp
import platform
import sys
import traceback

import torch
from benchmark_tasks.deploy_task import TORCH_BACKENDS
from benchmark_tasks.utils import format_table, make_row, write_json
from benchmark_tasks.variants_task import DEFAULT_VARIANTS, VARIANTS

import mmpdl  # noqa: F401  (applies compat fixes)
from mmpdl.deployment import BACKENDS

TASKS = ('postprocess', 'targets', 'metrics', 'coco-metrics', 'model')
MODELS = ('r50', 'mbnv2')
# (post-processing/targets H, W), (eval images, H, W), COCO eval (images,
# H, W), model (H, W)
FULL = dict(
    data=(1024, 2048),
    eval=(50, 1024, 2048),
    coco_eval=(500, 480, 640),
    model=(1025, 2049))
QUICK = dict(
    data=(128, 256),
    eval=(4, 128, 256),
    coco_eval=(4, 96, 128),
    model=(65, 129))


def parse_args(argv=None):
    """Command-line arguments of the suite."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--original-repo',
        help='root of a checkout of bowenc0221/panoptic-deeplab; without it '
        'only our side and the cityscapesscripts comparison run')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--out', default='benchmark_results.json')
    parser.add_argument(
        '--task',
        nargs='+',
        default=['all'],
        choices=TASKS + ('all', 'deploy', 'variants'),
        help='tasks to run (default: all = the five comparison tasks; '
        'deploy and variants only when named)')
    parser.add_argument(
        '--models',
        nargs='+',
        default=list(MODELS),
        choices=MODELS,
        help='models of the model task')
    parser.add_argument(
        '--deploy-models',
        nargs='+',
        default=['mbnv2', 'r50'],
        choices=list(VARIANTS),
        help='models of the deploy task (r18: the quickstart config)')
    parser.add_argument(
        '--variant-models',
        nargs='+',
        default=list(DEFAULT_VARIANTS),
        choices=list(VARIANTS),
        help='models of the variants task')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[1025, 2049],
        metavar=('H', 'W'),
        help='image size of the deploy and variants tasks')
    parser.add_argument(
        '--backends',
        nargs='+',
        choices=[*TORCH_BACKENDS, *BACKENDS.module_dict],
        help='deploy task: what to time besides PyTorch eager fp32 (the '
        'reference of the equality check and the speed-up): compile, amp '
        '(autocast fp16 on CUDA, bf16 on CPU, + channels_last), '
        'amp-compile and the registered backends; default compile and '
        'onnxruntime on CPU, compile and tensorrt (fp16) on a GPU')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='scene size of the postprocess and targets tasks (default '
        '1024 2048; 128 256 with --quick)')
    parser.add_argument(
        '--instances',
        type=int,
        help='thing instances per scene of postprocess and targets '
        '(default 30)')
    parser.add_argument(
        '--batch',
        type=int,
        default=4,
        help='postprocess: also time a batch of this many images (1: no)')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny sizes (smoke test); numbers are then meaningless')
    parser.add_argument(
        '--repeats',
        type=int,
        default=5,
        help='timed runs of the data tasks (median)')
    parser.add_argument(
        '--model-repeats',
        type=int,
        default=3,
        help='timed runs of the model tasks (median)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--amp',
        action='store_true',
        help='GPU only: also time our model with AMP (fp16) and '
        'channels_last against the original in fp32')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch.set_num_threads (default: torch)')
    return parser.parse_args(argv)


def _error_row(task: str, exc: BaseException) -> dict:
    """A row saying a task could not run, and why."""
    reason = str(exc).splitlines()[0] if str(exc) else ''
    return make_row(
        task, None, None, '-', None,
        f'not run: {type(exc).__name__}: {reason}'.replace('|', '/'))


def _task_rows(task: str, args) -> list:
    """The rows of one task."""
    sizes = QUICK if args.quick else FULL
    data_size = tuple(args.size or sizes['data'])
    repo = args.original_repo
    if task == 'postprocess':
        from benchmark_tasks.data_tasks import (run_post_processing,
                                                run_post_processing_batch)
        instances = dict(num_instances=args.instances or 30)
        rows = run_post_processing(*data_size, args.device, args.warmup,
                                   args.repeats, repo, **instances)
        if args.batch > 1:
            rows += run_post_processing_batch(*data_size, args.batch,
                                              args.device, args.warmup,
                                              args.repeats, **instances)
        return rows
    if task == 'targets':
        from benchmark_tasks.data_tasks import run_target_generation
        return run_target_generation(
            *data_size,
            args.warmup,
            args.repeats,
            repo,
            num_instances=args.instances or 30)
    if task == 'metrics':
        from benchmark_tasks.metrics_task import run_panoptic_eval
        return run_panoptic_eval(*sizes['eval'], args.warmup, args.repeats)
    if task == 'coco-metrics':
        from benchmark_tasks.coco_metrics_task import run_coco_panoptic_eval
        return run_coco_panoptic_eval(*sizes['coco_eval'], args.warmup,
                                      args.repeats)
    from benchmark_tasks.model_task import run_model
    rows = []
    for name in args.models:
        rows += run_model(name, *sizes['model'], args.device, args.warmup,
                          args.model_repeats, args.amp, repo)
    return rows


def run_task(task: str, args) -> list:
    """Run one task; return its rows (an error row if it cannot run)."""
    try:
        return _task_rows(task, args)
    except Exception as exc:  # report and go on with the other tasks
        traceback.print_exc()
        return [_error_row(task, exc)]


def machine_info(args) -> dict:
    """Where and how the suite ran (stored with the rows)."""
    info = dict(
        command=' '.join([osp.basename(sys.executable)] + sys.argv),
        device=args.device,
        cpu=platform.processor() or platform.machine(),
        cpu_count=os.cpu_count(),
        torch_threads=args.threads or torch.get_num_threads(),
        torch=torch.__version__,
        python=platform.python_version(),
        quick=args.quick,
        original_repo=args.original_repo)
    if args.device == 'cuda':
        info['gpu'] = torch.cuda.get_device_name()
    return info


def main(argv=None) -> list:
    """Run the selected tasks, print the table, write JSON; return rows."""
    args = parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda given but torch sees no CUDA GPU; '
                         'use --device cpu.')
    if args.amp and args.device != 'cuda':
        raise SystemExit('--amp is for --device cuda only.')
    threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.original_repo:
        from mmpdl.testing.original import add_original_package
        add_original_package(args.original_repo)
    tasks = [t for t in args.task if t != 'all']
    if 'all' in args.task:
        tasks = list(TASKS) + [t for t in tasks if t not in TASKS]
    rows, own_table_rows = [], []
    try:
        for task in tasks:
            print(f'[benchmark] running {task} ...', flush=True)
            if task == 'deploy':
                from benchmark_tasks.deploy_task import run_deployment
                own_table_rows += run_deployment(args)
            elif task == 'variants':
                from benchmark_tasks.variants_task import run_variants
                own_table_rows += run_variants(args)
            else:
                rows.extend(run_task(task, args))
    finally:
        torch.set_num_threads(threads)
    meta = machine_info(args)
    table = format_table(rows)
    print(f"\nmachine: {meta['cpu_count']} CPU cores (load average "
          f"{os.getloadavg()[0]:.1f}), torch {meta['torch']} "
          f"({meta['torch_threads']} threads), device "
          f"{meta.get('gpu', 'cpu')}")
    if rows:
        print(table)
    write_json(args.out, rows + own_table_rows, meta)
    print(f'\nrows written to {args.out}')
    return rows + own_table_rows


if __name__ == '__main__':
    main()
