"""Test (evaluate) a Panoptic-DeepLab checkpoint (MMSegmentation's command
line).

Examples::

    python tools/test.py CONFIG CHECKPOINT [--show-dir DIR] [--tta]
    bash tools/dist_test.sh CONFIG CHECKPOINT 8
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Evaluate a panoptic segmentor (PQ/SQ/RQ, AP, mIoU)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the metrics')
    parser.add_argument(
        '--out', help='save the predictions (a pickle of data samples)')
    parser.add_argument(
        '--show', action='store_true', help='show predictions in a window')
    parser.add_argument(
        '--show-dir', help='write prediction pictures to this folder')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='seconds per shown image')
    parser.add_argument(
        '--tta', action='store_true', help='test-time augmentation')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def check_checkpoint(args):
    """Clear error for a missing checkpoint."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint not found: {args.checkpoint!r}. Train one with '
            'tools/train.py, or convert an original Panoptic-DeepLab '
            'checkpoint with tools/model_converters/'
            'panoptic_deeplab_to_mmpdl.py')


def enable_visualization(cfg, args):
    """Turn on the visualization hook for --show / --show-dir."""
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise KeyError('--show/--show-dir need default_hooks.visualization '
                       '(e.g. dict(type="PanopticVisualizationHook"))')
    hook = hooks.visualization
    hook['draw'] = True
    hook['interval'] = 1
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        hook['out_dir'] = osp.abspath(args.show_dir)


def enable_tta(cfg):
    """Wrap the model in ``cfg.tta_model`` and use ``cfg.tta_pipeline``."""
    for key in ('tta_model', 'tta_pipeline'):
        if key not in cfg:
            raise KeyError(f'--tta needs `{key}` in the config (see '
                           'configs/_base_/datasets/cityscapes_panoptic.py)')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    from mmengine.runner import Runner

    import mmpdl  # noqa: F401  (compat fixes)
    from mmpdl.utils import (load_config, register_all_modules,
                             setup_cpu_distributed, setup_cpu_threads)
    register_all_modules(init_default_scope=False)
    setup_cpu_threads()
    cfg = load_config(args.config, args.cfg_options)
    check_checkpoint(args)
    cfg.launcher = args.launcher
    setup_cpu_distributed(cfg, args.launcher)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        enable_tta(cfg)
    runner = Runner.from_cfg(cfg)
    if args.out is not None:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    return runner.test()


if __name__ == '__main__':
    main()
