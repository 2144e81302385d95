"""Check that mmpdl trains as the original Panoptic-DeepLab, step by step.

For each mmpdl config of a model-zoo row converted from the original: the
original's model of the row's YAML (from ``--original-repo``, a checkout of
github.com/bowenc0221/panoptic-deeplab; nothing of it is part of mmpdl)
gets random, non-trivial weights (``mmpdl.testing.original.randomize``,
its BN momentum kept), which the converter gives to mmpdl's model. The
batches are made once: the original's own dataset, transforms and target
generator (``build_dataset_from_cfg``) on a Cityscapes-layout folder (the
built-in synthetic data by default) with a fixed seed, their random draws
(scale, padding position, crop offset, flip) recorded and replayed into
mmpdl's training pipeline of the config; images and the six targets of
both must be identical. Then both train ``--iters`` iterations on the same
normalised images and the same dropout seeds, each with its own optimizer
and LR scheduler as its training script builds them (the original's
``segmentation/solver`` from the YAML's SOLVER; mmpdl's from the config
through mmengine's Runner, as ``tools/train.py``), and every iteration's
LR of every parameter and loss terms, and at the end every parameter and
BN buffer, are compared (:mod:`mmpdl.testing.training_parity`).

Printed: one table line per row and PASS when every row passes (loss terms
and parameters within 1e-5 relative, LRs within 1e-9, identical batches).

Example::

    python tools/model_converters/verify_training_against_original.py \\
        --original-repo /path/to/panoptic-deeplab --crop 257 513
"""
import argparse
import os.path as osp
import sys
import tempfile

import torch
from mmengine import Config
from panoptic_deeplab_to_mmpdl import entry_of_config, original_entries

from mmpdl.datasets import make_synthetic_cityscapes
from mmpdl.registry import MODELS
from mmpdl.testing.original_training import (OriginalTraining, as_mmpdl_draws,
                                             collate, original_converter,
                                             original_targets)
from mmpdl.testing.parity_data import (build_train_dataset, compare_images,
                                       compare_targets, index_by_image,
                                       mmpdl_inputs, mmpdl_sample, summarize,
                                       train_dataset_cfg)
from mmpdl.testing.training_parity import (parity_cfg, print_table, report,
                                           train_both)
from mmpdl.utils import register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train the original Panoptic-DeepLab and mmpdl from the '
        'same weights on the same batches and compare them step by step.')
    parser.add_argument(
        '--original-repo',
        required=True,
        help='checkout of github.com/bowenc0221/panoptic-deeplab')
    parser.add_argument(
        '--config',
        nargs='+',
        default=[row.mmpdl_config for row in original_entries()],
        help='mmpdl leaf config(s) of model-zoo rows (default: all six)')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument(
        '--crop',
        type=int,
        nargs=2,
        default=(257, 513),
        metavar=('H', 'W'),
        help='training crop of both (the rows use 1025 2049)')
    parser.add_argument(
        '--batch',
        type=int,
        default=2,
        help='images per iteration (one process: the batch of its BN)')
    parser.add_argument(
        '--data-root',
        help='Cityscapes-layout folder (default: the built-in synthetic '
        'data, made in a temporary folder at --image-size)')
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        default=(256, 512),
        metavar=('H', 'W'),
        help='size of the generated images (default 256 512)')
    parser.add_argument(
        '--images',
        type=int,
        default=4,
        help='training images generated (they repeat over the batches)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--dump-solver',
        metavar='JSON',
        help='only write the rows\' SOLVER, TRAIN and BN settings (the '
        'fixture of the hermetic schedule tests) to JSON')
    return parser.parse_args(argv)


#: the settings of a YAML that decide how the original trains
SOLVER_KEYS = ('BASE_LR', 'OPTIMIZER', 'ADAM_BETAS', 'ADAM_EPS', 'MOMENTUM',
               'WEIGHT_DECAY', 'WEIGHT_DECAY_NORM', 'WEIGHT_DECAY_BIAS',
               'BIAS_LR_FACTOR', 'LR_SCHEDULER_NAME', 'WARMUP_ITERS',
               'WARMUP_FACTOR', 'WARMUP_METHOD', 'POLY_LR_POWER',
               'POLY_LR_CONSTANT_ENDING')


def solver_settings(cfg):
    """The training settings of the original's config ``cfg`` (plain)."""
    solver = {k: cfg.SOLVER[k] for k in SOLVER_KEYS}
    solver['ADAM_BETAS'] = list(solver['ADAM_BETAS'])
    solver['CLIP_GRADIENTS'] = bool(cfg.SOLVER.CLIP_GRADIENTS.ENABLED)
    solver['MAX_ITER'] = cfg.TRAIN.MAX_ITER
    solver['IMS_PER_BATCH'] = cfg.TRAIN.IMS_PER_BATCH
    solver['BN_MOMENTUM'] = cfg.MODEL.BN_MOMENTUM
    return solver


def dump_solvers(args, rows, path):
    """Write ``{config: {'yaml': ..., **solver_settings}}`` to ``path``."""
    import json

    from mmpdl.testing.original import import_original
    config = import_original(args.original_repo)[0]
    out = {}
    for row, config_path in rows:
        cfg = config.clone()
        cfg.defrost()
        cfg.merge_from_file(
            osp.join(args.original_repo, 'configs', row.original_yaml))
        out[osp.basename(config_path)] = dict(
            yaml=row.original_yaml, **solver_settings(cfg))
    with open(path, 'w') as f:
        json.dump(
            dict(
                generated_by='tools/model_converters/'
                'verify_training_against_original.py --dump-solver',
                rows=out),
            f,
            indent=1)
        f.write('\n')
    print(f'wrote {path}')


def count_train_images(root):
    import glob
    return len(glob.glob(osp.join(root, 'leftImg8bit', 'train', '*', '*.png')))


def make_batches(original, cfg, args, root):
    """Both sides' batches and their comparison.

    Returns:
        tuple: original batches (shared normalised images, its own
        targets), mmpdl's packed samples in order, (identical, text).
    """
    count = count_train_images(root)
    original.open_dataset(root, count)
    dataset = build_train_dataset(cfg.train_dataloader.dataset)
    by_name = index_by_image(dataset)
    resize = next(
        t for t in dataset.pipeline.transforms
        if type(t).__name__ == 'PanopticRandomResize')
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    batches, samples, image_diffs, target_diffs = [], [], [], []
    padded = 0
    for t in range(args.iters):
        items, packed = [], []
        for j in range(args.batch):
            index = (t * args.batch + j) % count
            item, draws = original.sample(index,
                                          args.seed * 100000 + len(samples))
            sample = mmpdl_sample(
                dataset, by_name[original.image_name(index)],
                as_mmpdl_draws(draws, resize.scale_factors()))
            # the padding position is drawn only when the crop pads
            padded += sum(d[0] == 'randint' for d in draws) == 4
            items.append(item)
            packed.append(sample)
            samples.append(sample)
            target_diffs.append(
                compare_targets(
                    original_targets(item), sample['data_samples']))
        inputs = mmpdl_inputs(preprocessor, packed)
        image_diffs += [
            compare_images(i['image'], x) for i, x in zip(items, inputs)
        ]
        _, targets = collate(items)
        batches.append((inputs, targets))
    step = 1.0 / max(cfg.model.data_preprocessor.std)
    return batches, samples, summarize(image_diffs, target_diffs, step, padded)


def verify_row(args, row, config_path, root, work_dir):
    """Train one row both ways; its table line."""
    cfg = Config.fromfile(config_path)
    cfg = parity_cfg(cfg, train_dataset_cfg(cfg, root, args.crop))
    original = OriginalTraining(args.original_repo, row.original_yaml,
                                tuple(args.crop), args.batch, args.seed)
    return train_both(original, original_converter(cfg), cfg,
                      lambda: make_batches(original, cfg, args, root), args,
                      row.name, 'original', args.crop, work_dir)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    rows = []
    for config_path in args.config:
        row = entry_of_config(config_path)
        if row is None:
            raise SystemExit(
                f'{config_path} is not a model-zoo config converted from the '
                'original; known: ' + ', '.join(r.mmpdl_config
                                                for r in original_entries()))
        rows.append((row, config_path))
    if args.dump_solver:
        dump_solvers(args, rows, args.dump_solver)
        return 0
    lines = []
    with tempfile.TemporaryDirectory() as work_dir:
        root = args.data_root
        if root is None:
            root = osp.join(work_dir, 'data')
            make_synthetic_cityscapes(
                root, args.images, 1, size=tuple(args.image_size), seed=1)
        for row, config_path in rows:
            torch.manual_seed(args.seed)
            lines.append(verify_row(args, row, config_path, root, work_dir))
            print_table(lines[-1:])
    return report(lines)


if __name__ == '__main__':
    sys.exit(main())
