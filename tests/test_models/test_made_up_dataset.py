"""A made-up dataset (5 classes, 2 things, label divisor 1000, category ids
10-50) trained and evaluated through the mmengine Runner: every component
takes the class list from the dataset, no config key names thing ids."""
import json
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from mmpdl.datasets import fill_dataset_meta
from mmpdl.datasets.base_panoptic import BasePanopticDataset
from mmpdl.registry import DATASETS
from mmpdl.structures.panoptic_ids import id_to_rgb
from mmpdl.utils import register_all_modules
from .model_zoo_utils import BASE_MODEL
from .test_panoptic_deeplab_segmentor import tiny_model_cfg

H, W = 33, 41
CAT, DOG = 40, 50  # category ids of the two thing classes (train ids 3, 4)


@DATASETS.register_module(force=True)
class FiveClassPanopticDataset(BasePanopticDataset):
    """Images ``<n>.png`` + ``<n>_pan.png`` listed in ``ann.json``."""

    METAINFO = dict(
        classes=('ground', 'wall', 'sky', 'cat', 'dog'),
        palette=[[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]],
        thing_ids=[3, 4],
        label_ids=[10, 20, 30, CAT, DOG],
        label_divisor=1000,
        ignore_index=255)

    def load_data_list(self):
        with open(self.ann_file) as file:
            ann = json.load(file)
        for item in ann:
            self.check_categories(item['segments_info'], self.ann_file)
        return [
            dict(
                img_path=osp.join(self.data_root, item['image']),
                pan_map_path=osp.join(self.data_root, item['panoptic']),
                segments_info=item['segments_info'],
                label_map=None,
                reduce_zero_label=False,
                seg_fields=[]) for item in ann
        ]


def _write_dataset(root):
    """Two images: ground (bottom), sky (top), a wall strip, a 10x10 cat at
    rows 18-27 x cols 4-13 and a dog at rows 18-27 x cols 24-33."""
    ids = np.full((H, W), 1)  # sky
    ids[16:] = 2  # ground
    ids[:, 36:] = 3  # wall
    ids[18:28, 4:14] = 7  # cat
    ids[18:28, 24:34] = 9  # dog
    segments = [
        dict(id=1, category_id=30, iscrowd=0),
        dict(id=2, category_id=10, iscrowd=0),
        dict(id=3, category_id=20, iscrowd=0),
        dict(id=7, category_id=CAT, iscrowd=0),
        dict(id=9, category_id=DOG, iscrowd=0)
    ]
    rng = np.random.default_rng(0)
    ann = []
    for n in range(2):
        image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
        Image.fromarray(image).save(osp.join(root, f'{n}.png'))
        Image.fromarray(id_to_rgb(ids)).save(osp.join(root, f'{n}_pan.png'))
        ann.append(
            dict(
                image=f'{n}.png',
                panoptic=f'{n}_pan.png',
                segments_info=segments))
    with open(osp.join(root, 'ann.json'), 'w') as file:
        json.dump(ann, file)


def _config(root):
    model = tiny_model_cfg()
    model.data_preprocessor = Config.fromfile(BASE_MODEL).data_preprocessor
    model.post_processor.stuff_area = 1
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadPanopticAnnotations'),
        dict(type='PanopticRandomCrop', crop_size=(H, W)),
        dict(type='GeneratePanopticTargets', sigma=2),
        dict(type='PackPanopticInputs')
    ]
    dataset = dict(
        type='FiveClassPanopticDataset',
        data_root=root,
        ann_file=osp.join(root, 'ann.json'),
        pipeline=pipeline)
    return runner_config(
        root,
        model,
        dataset,
        evaluators=[
            dict(type='CityscapesPanopticMetric'),
            dict(type='CityscapesInstanceMetric')
        ],
        visualizer=dict(type='PanopticLocalVisualizer'))


def runner_config(root,
                  model,
                  dataset,
                  evaluators,
                  max_iters=1,
                  val_dataset=None,
                  **extra):
    """A Runner config: ``max_iters`` steps of batch 2, then validation of
    ``val_dataset`` (else ``dataset``) with ``evaluators``; Adam 1e-3."""
    loader = dict(batch_size=2, num_workers=0, dataset=dataset)
    return Config(
        dict(
            default_scope='mmpdl',
            work_dir=osp.join(root, 'work_dir'),
            model=model,
            train_dataloader=dict(
                loader, sampler=dict(type='InfiniteSampler', shuffle=False)),
            val_dataloader=dict(
                loader,
                dataset=val_dataset or dataset,
                sampler=dict(type='DefaultSampler', shuffle=False)),
            val_evaluator=evaluators,
            optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
            train_cfg=dict(
                type='IterBasedTrainLoop',
                max_iters=max_iters,
                val_interval=max_iters),
            val_cfg=dict(type='ValLoop'),
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=1000)),
            log_level='WARNING',
            **extra))


def test_made_up_dataset_trains_predicts_and_evaluates(tmp_path):
    register_all_modules()
    _write_dataset(str(tmp_path))
    cfg = _config(str(tmp_path))
    assert 'thing_ids' not in cfg.pretty_text
    fill_dataset_meta(cfg)  # a script that builds its own Runner calls it
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    runner.train()  # one training step, then validation

    # transforms: labels and targets of the 5-class metadata
    sample = runner.train_dataloader.dataset[0]['data_samples']
    pan = sample.gt_panoptic_seg.data[0]
    assert pan[20, 5] == 3001 and pan[20, 25] == 4001  # cat, dog
    assert pan[0, 0] == 2000 and pan[-1, 0] == 0  # sky, ground
    center = sample.gt_center.data[0]
    # cat centroid (22.5, 8.5) -> peak at (22, 8); dog at (22, 28)
    assert center[22, 8] == 1.0 and center[22, 28] == 1.0
    assert sample.metainfo['panoptic_meta'].thing_ids == (3, 4)

    # post-processor: predictions in the 5-class encoding
    batch = next(iter(runner.val_dataloader))
    pred = runner.model.val_step(batch)[0]
    classes = set((pred.pred_panoptic_seg.data // 1000).unique().tolist())
    assert classes <= {0, 1, 2, 3, 4, 255}
    assert set(pred.pred_instances.labels.tolist()) <= {3, 4}
    stuff = pred.pred_sem_seg.data[0] < 3
    assert (pred.pred_panoptic_seg.data[0][stuff] % 1000 == 0).all()

    # metrics: per-class results named by the made-up classes
    metrics = runner.val_loop.run()
    assert 'cityscapes_panoptic/PQ_dog' in metrics
    assert 'cityscapes_panoptic/PQ_wall' in metrics
    assert 'cityscapes_panoptic/PQ_road' not in metrics
    assert runner.visualizer.dataset_meta['classes'][3] == 'cat'
