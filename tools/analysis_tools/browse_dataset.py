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
import sys

import cv2
import numpy as np
from mmengine.config import Config, DictAction

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

IGNORED_GREY = (128, 128, 128)


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


def _numpy(sample, field):
    return sample.get(field).data.detach().cpu().numpy()


def thing_contours(panoptic: np.ndarray, thing_ids, divisor: int) -> list:
    """Outer contours of the thing instances of ``panoptic`` ((H, W) int)."""
    contours = []
    for seg in np.unique(panoptic):
        if int(seg) // divisor in thing_ids and int(seg) % divisor:
            found, _ = cv2.findContours((panoptic == seg).astype(np.uint8),
                                        cv2.RETR_EXTERNAL,
                                        cv2.CHAIN_APPROX_SIMPLE)
            contours.extend(found)
    return contours


def add_direction_wheel(panel: np.ndarray) -> None:
    """Draw the colour wheel of ``offset_to_rgb`` in the top-right corner
    of ``panel`` ((H, W, 3) uint8, in place): the colour at a point of the
    wheel is that of an offset pointing from its center to that point."""
    from mmpdl.visualization import offset_to_rgb
    radius = max(8, min(panel.shape[:2]) // 12)
    if 2 * radius + 4 > min(panel.shape[:2]):
        return
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1].astype(float)
    wheel = offset_to_rgb(np.stack([dy, dx]), max_norm=radius)
    inside = dy**2 + dx**2 <= (radius - 0.5)**2
    x0 = panel.shape[1] - 2 * radius - 3
    window = panel[2:2 + 2 * radius + 1, x0:x0 + 2 * radius + 1]
    window[inside] = wheel[inside]


def offset_per_instance_to_rgb(offset: np.ndarray,
                               panoptic: np.ndarray) -> np.ndarray:
    """``offset_to_rgb`` with the length scaled per segment of
    ``panoptic``, so that the directions of small instances show as well
    as those of large ones.

    Args:
        offset (np.ndarray): (2, H, W) float (dy, dx).
        panoptic (np.ndarray): (H, W) int panoptic ids.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    from mmpdl.visualization import offset_to_rgb
    norm = np.hypot(offset[0], offset[1]).ravel()
    _, inverse = np.unique(panoptic, return_inverse=True)
    inverse = inverse.ravel()
    longest = np.zeros(inverse.max() + 1)
    np.maximum.at(longest, inverse, norm)
    scale = np.maximum(longest[inverse], 1e-6).reshape(panoptic.shape)
    return offset_to_rgb(offset / scale, max_norm=1.0)


def _target_panel(colour, weights, contours=()):
    """Grey where ``weights`` is 0, white contours on top."""
    if weights is not None:
        colour[weights == 0] = IGNORED_GREY
    cv2.drawContours(colour, list(contours), -1, (255, 255, 255), 1)
    return colour


def with_titles(panels) -> np.ndarray:
    """Panels side by side under a black strip with their titles.

    Args:
        panels (list[tuple[str, np.ndarray]]): (title, (H, W, 3) uint8).

    Returns:
        np.ndarray: (H + strip, sum of W, 3) uint8.
    """
    font = cv2.FONT_HERSHEY_SIMPLEX
    height = panels[0][1].shape[0]
    # one font size for all: about 1/50 of the height, shrunk to fit
    scale = max(0.35, height / 700)
    for text, panel in panels:
        (width, _), _ = cv2.getTextSize(text, font, 1.0, 1)
        scale = min(scale, (panel.shape[1] - 4) / width)
    (_, text_h), base = cv2.getTextSize('Ag', font, scale, 1)
    strip = text_h + base + 6
    out = []
    for text, panel in panels:
        header = np.zeros((strip, panel.shape[1], 3), np.uint8)
        cv2.putText(header, text, (2, text_h + 3), font, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
        out.append(np.concatenate([header, panel], axis=0))
    return np.concatenate(out, axis=1)


def draw_sample(visualizer, image: np.ndarray, sample,
                max_sem_weight: float) -> np.ndarray:
    """One picture: image | GT | center | offset | semantic weights.

    Args:
        visualizer (PanopticLocalVisualizer): With ``dataset_meta`` set.
        image (np.ndarray): (H, W, 3) uint8 RGB pipeline output.
        sample (PanopticDataSample): Its ``gt_*`` fields, each (C, H, W);
            panels of missing fields are left out.
        max_sem_weight (float): Semantic weight drawn red.

    Returns:
        np.ndarray: (H + title strip, K * W, 3) uint8 RGB, K the number
        of panels.
    """
    from mmpdl.visualization import heatmap_to_rgb
    panels = [('image', image)]
    if 'gt_panoptic_seg' not in sample:
        return with_titles(panels)
    panoptic = _numpy(sample, 'gt_panoptic_seg')[0]
    meta = visualizer.dataset_meta
    panels.append(('ground truth', visualizer.draw_panoptic(image, panoptic)))
    contours = thing_contours(panoptic, set(meta['thing_ids']),
                              meta.get('label_divisor', 1000))

    def weights(field):
        return _numpy(sample, field)[0] if field in sample else None

    if 'gt_center' in sample:
        panels.append(('center heatmap',
                       _target_panel(
                           heatmap_to_rgb(_numpy(sample, 'gt_center')[0]),
                           weights('gt_center_weights'), contours)))
    if 'gt_offset' in sample:
        offset = _target_panel(
            offset_per_instance_to_rgb(_numpy(sample, 'gt_offset'), panoptic),
            weights('gt_offset_weights'))
        add_direction_wheel(offset)
        panels.append(('offset (hue: direction)', offset))
    if 'gt_sem_weights' in sample:
        sem_w = heatmap_to_rgb(weights('gt_sem_weights') / max_sem_weight)
        labelled = None
        if 'gt_sem_seg' in sample:
            labelled = _numpy(sample, 'gt_sem_seg')[0] != meta.get(
                'ignore_index', 255)
        title = f'semantic weight (cyan 1, red {max_sem_weight:g})'
        panels.append((title, _target_panel(sem_w, labelled)))
    return with_titles(panels)


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
        drawn = draw_sample(visualizer, image, sample, max_sem_weight)
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
