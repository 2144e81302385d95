"""Browse a dataset as the model sees it: each sample after the pipeline of
the config (default: the train pipeline with its random resize, crop and
flip), with its panoptic ground truth and the training targets.

Examples::

    # 10 augmented training crops -> work_dirs/browse_dataset/<config>/
    python tools/analysis_tools/browse_dataset.py CONFIG
    python tools/analysis_tools/browse_dataset.py CONFIG \
        --output-dir vis --split val --num 0 \
        --cfg-options val_dataloader.dataset.data_root=data/my_cityscapes

One PNG per sample, ``<output dir>/<image name>.png``; panels, left to
right, as far as the pipeline makes them, each under its title:

1. the image (the augmented crop; padding shows the mean pixel);
2. the panoptic ground truth over it (stuff in the palette colour, each
   instance its own shade of its class colour with a white contour and
   its class name, crowd regions in the plain class colour; void pixels
   show the image);
3. the center heatmap target (jet: blue 0, red 1), with the contours of
   the thing instances in white;
4. the offset target (colour wheel, see the inset: hue = the direction a
   pixel's offset points to, brightness = its length relative to the
   longest in its instance, so every instance looks like a wheel around
   its center; zero-length offsets are black);
5. the semantic loss weights (jet scaled to the ``small_instance_weight``
   of ``GeneratePanopticTargets``: weight 1 cyan, small instances dark
   red).

On panels 3-5 grey marks pixels whose weight in that loss is 0 (void,
crowd regions; for the offsets also stuff, for the semantic weights the
ignore label).
"""
import argparse
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Browse a dataset: pipeline output, panoptic ground '
        'truth and training targets side by side')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--output-dir',
        default=None,
        help='folder for the pictures (default: work_dirs/browse_dataset/'
        '<config name>/ unless --show is given)')
    parser.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default='train',
        help='dataloader whose dataset and pipeline are browsed')
    parser.add_argument(
        '--num',
        type=int,
        default=10,
        help='number of samples, from the first; 0 = all of them')
    show = parser.add_mutually_exclusive_group()
    show.add_argument(
        '--show', action='store_true', help='show each picture in a window')
    show.add_argument(
        '--not-show',
        action='store_true',
        help='do not show (the default; kept for MMSegmentation users)')
    parser.add_argument(
        '--show-interval',
        type=float,
        default=2,
        help='seconds each picture is shown with --show')
    parser.add_argument(
        '--seed',
        type=int,
        default=None,
        help='random seed of the augmentations (default: not seeded)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value, e.g. '
        'train_dataloader.dataset.data_root=data/x')
    args = parser.parse_args(argv)
    if args.num < 0:
        parser.error(f'--num must be >= 0, got {args.num}')
    return args


def max_semantic_weight(pipeline) -> float:
    """``small_instance_weight`` of the pipeline's GeneratePanopticTargets
    (1 when it has none)."""
    from mmpdl.datasets.transforms import GeneratePanopticTargets
    for transform in getattr(pipeline, 'transforms', []):
        if isinstance(transform, GeneratePanopticTargets):
            return max(1.0, float(transform.small_instance_weight))
    return 1.0


def build_dataset(cfg: Config, split: str):
    """The dataset of ``<split>_dataloader``, with clear errors."""
    from mmpdl.registry import DATASETS
    key = f'{split}_dataloader'
    if key not in cfg or 'dataset' not in cfg[key]:
        raise SystemExit(f'the config has no {key}.dataset to browse; '
                         'choose another --split')
    dataset_cfg = cfg[key].dataset
    hint = (f'Check {key}.dataset.data_root (now '
            f'{dataset_cfg.get("data_root")!r}): prepare the data as '
            'docs/dataset_prepare.md says, or point the config at it with '
            f'--cfg-options {key}.dataset.data_root=DIR')
    try:
        # lazily, so that an empty data list is reported here, not as
        # mmengine's "need at least one array to concatenate"
        dataset = DATASETS.build(dict(dataset_cfg, lazy_init=True))
        empty = hasattr(dataset, 'load_data_list') and \
            not dataset.load_data_list()
        if not empty:
            dataset.full_init()
    except (FileNotFoundError, ValueError) as err:  # missing / bad files
        raise SystemExit(f'error: {err}\n{hint}')
    if empty or len(dataset) == 0:
        raise SystemExit(
            f'error: the {split} dataset is empty (data_root '
            f'{dataset_cfg.get("data_root")!r}, ann_file '
            f'{dataset_cfg.get("ann_file")!r}): no sample to browse.\n{hint}')
    return dataset


def main(argv=None) -> list:
    """Browse; returns the written picture paths."""
    args = parse_args(argv)
    from mmengine.runner import set_random_seed
    from mmengine.utils import ProgressBar, mkdir_or_exist

    from mmpdl.registry import VISUALIZERS
    from mmpdl.utils import load_config, register_all_modules
    cfg = load_config(args.config, args.cfg_options)
    register_all_modules()
    if args.seed is not None:
        set_random_seed(args.seed)
    dataset = build_dataset(cfg, args.split)

    output_dir = args.output_dir
    if output_dir is None and not args.show:
        output_dir = osp.join('work_dirs', 'browse_dataset',
                              osp.splitext(osp.basename(args.config))[0])
    if output_dir is not None:
        mkdir_or_exist(output_dir)
    vis_cfg = dict(cfg.get('visualizer', dict(type='PanopticLocalVisualizer')))
    vis_cfg.update(name='browse_dataset', vis_backends=None, save_dir=None)
    visualizer = VISUALIZERS.build(vis_cfg)
    visualizer.dataset_meta = dataset.metainfo
    max_sem_weight = max_semantic_weight(dataset.pipeline)

    num = len(dataset) if args.num == 0 else min(args.num, len(dataset))
    written = []
    progress = ProgressBar(num)
    for index in range(num):
        item = dataset[index]
        # (3, H, W) uint8 BGR -> (H, W, 3) RGB
        image = item['inputs'].numpy().transpose(1, 2, 0)[..., ::-1]
        image = np.ascontiguousarray(image)
        sample = item['data_samples']
        name = osp.splitext(osp.basename(sample.img_path))[0]
        drawn = visualizer.draw_targets(image, sample, max_sem_weight)
        if args.show:
            visualizer.show(drawn, win_name=name, wait_time=args.show_interval)
        if output_dir is not None:
            out_file = osp.join(output_dir, name + '.png')
            cv2.imwrite(out_file, drawn[..., ::-1])
            written.append(out_file)
        progress.update()
    if output_dir is not None:
        print(f'\nwrote {len(written)} picture(s) to {output_dir}')
    return written


if __name__ == '__main__':
    main()
