"""Train a Panoptic-DeepLab model (MMSegmentation's command line).

Examples::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
    bash tools/dist_train.sh CONFIG 8
"""
import argparse
import logging
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.logging import print_log


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train a panoptic segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or (no value) from the newest '
        'complete checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value, e.g. '
        'train_cfg.max_iters=1000')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def set_work_dir(cfg, args):
    """``--work-dir`` > ``cfg.work_dir`` > ``work_dirs/<config name>``."""
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])


def set_resume(cfg, resume):
    """Apply ``--resume [CKPT]``: a named checkpoint must exist and be
    complete; without a name the work dir's ``.tmp-*`` leftovers of killed
    saves are deleted and the newest complete ``iter_N.pth``/``epoch_N.pth``
    is used, whatever ``last_checkpoint`` says (or training starts from
    scratch, with a warning, when there is none)."""
    from mmpdl.utils import (find_resumable_checkpoint, is_complete_checkpoint,
                             remove_stale_temp_files)
    if resume is None:
        return
    if resume == 'auto':
        for path, size in remove_stale_temp_files(cfg.work_dir):
            print_log(f'--resume: removed {path} ({size} bytes), left by a '
                      'run killed while saving')
        found = find_resumable_checkpoint(cfg.work_dir)
        if found is None:
            print_log(
                f'--resume: no complete checkpoint in {cfg.work_dir}; '
                'training starts from scratch.',
                level=logging.WARNING)
            return
        resume = found
    elif not osp.isfile(resume):
        raise FileNotFoundError(
            f'--resume checkpoint not found: {resume!r}. Pass an existing '
            '.pth file, or --resume alone to pick the newest complete '
            'checkpoint in the work dir.')
    elif not is_complete_checkpoint(resume):
        raise RuntimeError(
            f'--resume checkpoint {resume!r} is truncated or not a torch '
            'checkpoint. Use another one, or --resume alone to pick the '
            'newest complete checkpoint in the work dir.')
    print_log(f'--resume: resuming from {resume}')
    cfg.resume = True
    cfg.load_from = resume
    keep_seed(cfg, resume)


def keep_seed(cfg, checkpoint):
    """Without a seed in the config, a resumed run takes the checkpoint's:
    the sampler and the data workers are seeded before mmengine would read
    it from the checkpoint, and must draw as the interrupted run did."""
    import torch
    randomness = dict(cfg.get('randomness') or {})
    if randomness.get('seed') is not None:
        return
    meta = torch.load(
        checkpoint, map_location='cpu', weights_only=True,
        mmap=True).get('meta') or {}
    if meta.get('seed') is not None:
        randomness['seed'] = meta['seed']
        cfg.randomness = randomness
        print_log(f'--resume: random seed {meta["seed"]} of the checkpoint')


def set_amp(cfg):
    """Switch the optimizer wrapper to mmengine's ``AmpOptimWrapper``."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper == 'AmpOptimWrapper':
        print_log('AMP training is already enabled in your config.')
        return
    if optim_wrapper != 'OptimWrapper':
        raise ValueError('--amp is only supported when the optimizer wrapper '
                         f'type is "OptimWrapper" but got "{optim_wrapper}".')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def build_runner(cfg):
    """The Runner from ``cfg`` (or from ``cfg.runner_type``)."""
    from mmengine.runner import Runner

    from mmpdl.registry import RUNNERS
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    import mmpdl  # noqa: F401  (compat fixes)
    from mmpdl.datasets import fill_dataset_meta
    from mmpdl.utils import (load_config, register_all_modules,
                             setup_cpu_distributed, setup_cpu_threads)
    register_all_modules(init_default_scope=False)
    setup_cpu_threads()

    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    setup_cpu_distributed(cfg, args.launcher)
    set_work_dir(cfg, args)
    set_resume(cfg, args.resume)
    if args.amp:
        set_amp(cfg)
    # the head's num_classes=None -> the train dataset's class count
    fill_dataset_meta(cfg)
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
