"""Test (evaluate) a Panoptic-DeepLab checkpoint (MMSegmentation's command
line).

Examples::

    python tools/test.py CONFIG CHECKPOINT [--show-dir DIR] [--tta]
    bash tools/dist_test.sh CONFIG CHECKPOINT 8
    # also write the predictions in the official formats
    python tools/test.py CONFIG CHECKPOINT --out DIR
    # a split without annotations (e.g. Cityscapes test): only write the
    # benchmark server's submission files
    python tools/test.py CONFIG CHECKPOINT --out DIR --cfg-options \
        test_dataloader.dataset.ann_file='' \
        test_dataloader.dataset.data_prefix.img_path=leftImg8bit/test

``--out DIR`` writes, as the official evaluators and the Cityscapes
benchmark server read them: ``panoptic.json`` + ``panoptic/*.png`` (COCO
panoptic, label ids), ``semantic/*_pred_labelIds.png`` and
``instance_sem[_x_ctr]/*_pred.txt`` + ``masks/*.png`` (one folder per
instance score). ``--out FILE.pkl`` pickles per image the panoptic map and
the instance list only.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Evaluate a panoptic segmentor (PQ/SQ/RQ, AP, mIoU)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the metrics')
    parser.add_argument(
        '--out',
        help='folder for prediction files in the official formats, or a '
        '.pkl file for panoptic maps + instance lists')
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


#: Metrics that write the official files (``outfile_prefix``).
WRITER_METRICS = ('CityscapesPanopticMetric', 'CityscapesInstanceMetric',
                  'PanopticQualityMetric', 'CocoInstanceMetric')


def is_pickle(path: str) -> bool:
    """Whether ``--out`` names a pickle file rather than a folder."""
    return path.endswith(('.pkl', '.pickle'))


def set_writers(cfg, out_dir: str, labelled: bool) -> None:
    """Point the writing metrics at ``out_dir``; on a split without
    annotations they only write (``format_only``) and metrics that need
    ground truth (e.g. ``IoUMetric``) are left out."""
    metrics = cfg.test_evaluator
    metrics = list(metrics) if isinstance(metrics,
                                          (list, tuple)) else [metrics]
    kept = [
        dict(m, outfile_prefix=out_dir, format_only=not labelled)
        if m['type'] in WRITER_METRICS else m for m in metrics
        if labelled or m['type'] in WRITER_METRICS
    ]
    if not any(m['type'] in WRITER_METRICS for m in kept):
        raise ValueError(
            f'--out {out_dir!r} and splits without annotations need one of '
            f'{WRITER_METRICS} in test_evaluator')
    cfg.test_evaluator = kept


def setup_outputs(cfg, out) -> None:
    """Prediction files (``--out``) and splits without annotations."""
    from mmpdl.apis.inference_pipeline import drop_annotation_loading
    dataset = cfg.test_dataloader.dataset
    # ann_file '' (or None): the dataset lists the images only
    labelled = 'ann_file' not in dataset or bool(dataset.ann_file)
    if not labelled:
        dataset.pipeline = drop_annotation_loading(dataset.pipeline)
        if out is None or is_pickle(out):
            out = osp.join(cfg.work_dir, 'submission')
        print(f'test split without annotations ({dataset.get("data_prefix")}'
              f'): writing submission files to {out}')
    if out is not None and not is_pickle(out):
        set_writers(cfg, osp.abspath(out), labelled)


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
    from mmpdl.datasets.config_meta import TEST_FIRST, fill_dataset_meta
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
    # refuse a checkpoint of another model instead of evaluating it
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='CheckpointFitHook', source=args.checkpoint)
    ]
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    # the head's num_classes=None -> the test dataset's class count
    fill_dataset_meta(cfg, loaders=TEST_FIRST)
    if args.tta:
        enable_tta(cfg)
    setup_outputs(cfg, args.out)
    runner = Runner.from_cfg(cfg)
    if args.out is not None and is_pickle(args.out):
        from mmpdl.evaluation.metrics import DumpPanopticResults
        runner.test_evaluator.metrics.append(
            DumpPanopticResults(out_file_path=args.out))
    return runner.test()


if __name__ == '__main__':
    main()
