"""Check that mmpdl trains as detectron2's Panoptic-DeepLab, step by step.

For detectron2's R52-DC5 rows (Cityscapes, and COCO in the DSConv layout):
detectron2's ``PanopticDeepLab`` of the row's YAML (from
``--detectron2-repo``, a checkout of github.com/facebookresearch/detectron2;
nothing of it is part of mmpdl) gets random, non-trivial weights
(``mmpdl.testing.detectron2.randomize``), which the converter gives to
mmpdl's model of the row's config. The batches are made once from the
built-in data (Cityscapes layout, or the COCO-format set for the COCO row):
detectron2's own loader, dataset mapper (``build_sem_seg_train_aug`` of
its ``train_net.py``: resize shortest edge, crop, flip) and target
generator, and mmpdl's training pipeline of the config, each with numpy's
RNG seeded alike per sample (both draw the same values in the same order);
images and the six targets must be identical. Then both train ``--iters``
iterations with the same dropout seeds, each with its optimizer and LR
scheduler as its training script builds them (detectron2's
``Trainer.build_optimizer`` / ``build_lr_scheduler`` of ``train_net.py``
and its ``SimpleTrainer`` with the ``LRScheduler`` hook; mmpdl's from the
config through mmengine's Runner), and every iteration's LR of every
parameter and loss terms, and at the end every parameter and BN buffer,
are compared (:mod:`mmpdl.testing.training_parity`).

Example::

    python tools/model_converters/verify_training_against_detectron2.py \\
        --detectron2-repo /path/to/detectron2
"""
import argparse
import os.path as osp
import sys
import tempfile

import numpy as np
import torch
from mmengine import Config
from verify_against_detectron2 import ROOT, ROWS

from mmpdl.converters.detectron2 import convert_weights
from mmpdl.datasets import (make_synthetic_cityscapes,
                            make_synthetic_coco_panoptic)
from mmpdl.registry import MODELS
from mmpdl.testing.detectron2 import detectron2_config
from mmpdl.testing.detectron2_training import (Detectron2Training,
                                               detectron2_image,
                                               detectron2_targets,
                                               register_coco_format, set_crop)
from mmpdl.testing.parity_data import (build_train_dataset, compare_images,
                                       compare_targets, index_by_image,
                                       mmpdl_inputs, mmpdl_sample, summarize,
                                       train_dataset_cfg)
from mmpdl.testing.training_parity import (parity_cfg, print_table, report,
                                           train_both)
from mmpdl.utils import register_all_modules

#: the rows of this check (issue: detectron2's Cityscapes and COCO R52)
PARITY_ROWS = ('r52-dc5', 'r52-dc5-dsconv-coco')
#: the built-in COCO-format set (configs/_base_/datasets/
#: synthetic_coco_panoptic.py)
COCO_FILES = dict(
    ann_file='annotations/panoptic_train.json',
    data_prefix=dict(
        img_path='train', seg_map_path='annotations/'
        'panoptic_train'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train detectron2\'s Panoptic-DeepLab and mmpdl from the '
        'same weights on the same batches and compare them step by step.')
    parser.add_argument(
        '--detectron2-repo',
        required=True,
        help='checkout of github.com/facebookresearch/detectron2')
    parser.add_argument(
        '--rows',
        nargs='+',
        choices=[r.name for r in ROWS],
        default=list(PARITY_ROWS))
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument(
        '--crop',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='training crop of both (default: the row\'s, 512 1024 or 640 '
        '640)')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument(
        '--images',
        type=int,
        default=4,
        help='training images generated (they repeat over the batches)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--dump-solver',
        metavar='JSON',
        help='only write the rows\' SOLVER and BN settings (the fixture of '
        'the hermetic schedule tests) to JSON')
    return parser.parse_args(argv)


SOLVER_KEYS = ('BASE_LR', 'OPTIMIZER', 'MOMENTUM', 'NESTEROV', 'WEIGHT_DECAY',
               'WEIGHT_DECAY_NORM', 'WEIGHT_DECAY_BIAS', 'BIAS_LR_FACTOR',
               'LR_SCHEDULER_NAME', 'MAX_ITER', 'WARMUP_ITERS',
               'WARMUP_FACTOR', 'WARMUP_METHOD', 'POLY_LR_POWER',
               'POLY_LR_CONSTANT_ENDING', 'IMS_PER_BATCH')


def dump_solvers(args, rows, path):
    """Write ``{config: {'yaml': ..., **SOLVER}}`` of detectron2's configs;
    Adam's betas and eps are PyTorch's defaults (``train_net.py`` passes
    only the LR), BN_MOMENTUM that of the built model's norms."""
    import inspect
    import json

    from mmpdl.testing.detectron2 import build_detectron2
    defaults = inspect.signature(torch.optim.Adam).parameters
    out = {}
    for row in rows:
        cfg = detectron2_config(args.detectron2_repo, row.yaml, row.opts)
        solver = {k: cfg.SOLVER[k] for k in SOLVER_KEYS}
        solver['CLIP_GRADIENTS'] = bool(cfg.SOLVER.CLIP_GRADIENTS.ENABLED)
        solver['ADAM_BETAS'] = list(defaults['betas'].default)
        solver['ADAM_EPS'] = defaults['eps'].default
        momenta = {
            m.momentum
            for m in build_detectron2(cfg).modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        }
        if len(momenta) != 1:
            raise ValueError(f'{row.name}: BN momenta {momenta}')
        solver['BN_MOMENTUM'] = momenta.pop()
        out[osp.basename(row.config)] = dict(yaml=row.yaml, **solver)
    with open(path, 'w') as f:
        json.dump(
            dict(
                generated_by='tools/model_converters/'
                'verify_training_against_detectron2.py --dump-solver',
                rows=out),
            f,
            indent=1)
        f.write('\n')
    print(f'wrote {path}')


def is_coco(row):
    return 'coco' in row.name


def mmpdl_config_at(row, crop):
    """The row's mmpdl config trained on ``crop``: the ASPP pooling kernel
    (crop // 16) and a fixed batch padding (COCO's 640) follow it."""
    cfg = Config.fromfile(osp.join(ROOT, row.config))
    head = cfg.model.decode_head
    if head.get('aspp_cfg', {}).get('pool_kernel_size') is not None:
        head.aspp_cfg.pool_kernel_size = (crop[0] // 16, crop[1] // 16)
    if cfg.model.size_divisor > 32:
        cfg.model.size_divisor = int(crop[0])
        cfg.model.data_preprocessor.size_divisor = int(crop[0])
    return cfg


def open_data(reference, cfg, row, root):
    """detectron2's dataset dicts and mmpdl's dataset of ``root``."""
    if is_coco(row):
        reference.open_coco(
            osp.join(root, COCO_FILES['ann_file']),
            osp.join(root, COCO_FILES['data_prefix']['img_path']),
            osp.join(root, COCO_FILES['data_prefix']['seg_map_path']))
    else:
        reference.open_cityscapes(root)
    return build_train_dataset(cfg.train_dataloader.dataset)


def make_batches(reference, cfg, args, root, crop, row):
    """Both sides' batches and their comparison."""
    dataset = open_data(reference, cfg, row, root)
    by_name = index_by_image(dataset)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    count = len(reference.dicts)
    batches, samples, image_diffs, target_diffs = [], [], [], []
    padded = 0
    for t in range(args.iters):
        items, packed = [], []
        for j in range(args.batch):
            index = (t * args.batch + j) % count
            seed = args.seed * 100000 + len(samples)
            item = reference.sample(index, seed)
            np.random.seed(seed)
            sample = mmpdl_sample(dataset,
                                  by_name[reference.image_name(index)])
            padded += tuple(item['image'].shape[1:]) != tuple(crop)
            items.append(item)
            packed.append(sample)
            samples.append(sample)
            target_diffs.append(
                compare_targets(
                    detectron2_targets(item), sample['data_samples']))
        inputs = mmpdl_inputs(preprocessor, packed)
        image_diffs += [
            compare_images(detectron2_image(i, reference.cfg), x)
            for i, x in zip(items, inputs)
        ]
        batches.append(items)
    step = 1.0 / max(cfg.model.data_preprocessor.std)
    return batches, samples, summarize(image_diffs, target_diffs, step, padded)


def verify_row(args, row, root, work_dir):
    """Train one row both ways; its table line."""
    d2_cfg = detectron2_config(args.detectron2_repo, row.yaml, row.opts)
    crop = tuple(args.crop or d2_cfg.INPUT.CROP.SIZE)
    set_crop(d2_cfg, crop)
    d2_cfg.SOLVER.IMS_PER_BATCH = args.batch
    if is_coco(row):
        d2_cfg.DATASETS.TRAIN = (register_coco_format(
            osp.join(root, COCO_FILES['ann_file'])), )
    cfg = mmpdl_config_at(row, crop)
    cfg = parity_cfg(
        cfg,
        train_dataset_cfg(cfg, root, crop,
                          COCO_FILES if is_coco(row) else None))
    reference = Detectron2Training(args.detectron2_repo, d2_cfg, args.seed)
    return train_both(
        reference,
        lambda state: convert_weights(state, cfg, f'detectron2 {row.name}'),
        cfg, lambda: make_batches(reference, cfg, args, root, crop, row), args,
        row.name, 'detectron2', crop, work_dir)


def make_data(row, work_dir, images):
    """The built-in data of a row (made once per format)."""
    if is_coco(row):
        root = osp.join(work_dir, 'coco')
        make_synthetic_coco_panoptic(root, images, 1, seed=1)
    else:
        root = osp.join(work_dir, 'cityscapes')
        make_synthetic_cityscapes(root, images, 1, seed=1)
    return root


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    rows = [r for r in ROWS if r.name in args.rows]
    if args.dump_solver:
        dump_solvers(args, rows, args.dump_solver)
        return 0
    lines = []
    with tempfile.TemporaryDirectory() as work_dir:
        for row in rows:
            torch.manual_seed(args.seed)
            root = make_data(row, work_dir, args.images)
            lines.append(verify_row(args, row, root, work_dir))
            print_table(lines[-1:])
    return report(lines)


if __name__ == '__main__':
    sys.exit(main())
