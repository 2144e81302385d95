"""A dataset with 300 classes and ``ignore_index=65535`` (the metainfo
setting that ``BasePanopticDataset`` asks for when train ids reach 255)
trains and evaluates with its own void: the loss, the padding of the
targets, the data preprocessor and mIoU all take 65535 from the dataset, and
train id 255 is a class like any other."""
import json
import math
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import PixelData
from PIL import Image

from mmpdl.datasets import fill_dataset_meta
from mmpdl.structures.panoptic_ids import id_to_rgb
from mmpdl.utils import register_all_modules
from .model_zoo_utils import BASE_MODEL
from .test_made_up_dataset import runner_config
from .test_panoptic_deeplab_segmentor import tiny_model_cfg

H, W = 33, 41
NUM = 300
VOID = 65535
#: category id = train id + 1; train ids 298 and 299 are things
CATEGORIES = [
    dict(id=i + 1, name=f'c{i}', isthing=int(i >= NUM - 2)) for i in range(NUM)
]


def _write_dataset(root):
    """Two images: train id 255 on the top half, train id 0 below, a 10x10
    instance of train id 299 and a void strip (PNG id 0) on the right."""
    ids = np.full((H, W), 256)  # category 256 = train id 255
    ids[16:] = 1  # train id 0
    ids[18:28, 4:14] = 300  # the thing
    ids[:, 36:] = 0  # void
    segments = [
        dict(id=256, category_id=256, iscrowd=0),
        dict(id=1, category_id=1, iscrowd=0),
        dict(id=300, category_id=300, iscrowd=0)
    ]
    rng = np.random.default_rng(0)
    images, annotations = [], []
    for n in range(2):
        image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
        Image.fromarray(image).save(osp.join(root, f'{n}.jpg'))
        Image.fromarray(id_to_rgb(ids)).save(osp.join(root, f'{n}.png'))
        images.append(dict(id=n, file_name=f'{n}.jpg', height=H, width=W))
        annotations.append(
            dict(image_id=n, file_name=f'{n}.png', segments_info=segments))
    with open(osp.join(root, 'ann.json'), 'w') as file:
        json.dump(
            dict(
                images=images, annotations=annotations, categories=CATEGORIES),
            file)


def _config(root):
    model = tiny_model_cfg()
    model.decode_head.num_classes = None  # as the base configs say
    model.decode_head.loss_semantic.ignore_index = None
    model.data_preprocessor = Config.fromfile(BASE_MODEL).data_preprocessor
    model.post_processor.stuff_area = 1
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadPanopticAnnotations'),
        dict(type='PanopticRandomCrop', crop_size=(H + 8, W)),
        dict(type='GeneratePanopticTargets', sigma=2),
        dict(type='PackPanopticInputs')
    ]
    dataset = dict(
        type='CocoPanopticDataset',
        data_root=root,
        ann_file='ann.json',
        data_prefix=dict(img_path='', seg_map_path=''),
        metainfo=dict(ignore_index=VOID),
        pipeline=pipeline)
    return runner_config(
        root,
        model,
        dataset,
        evaluators=[
            dict(type='PanopticQualityMetric'),
            dict(type='IoUMetric', iou_metrics=['mIoU'])
        ],
        max_iters=2,
        val_dataset=dict(
            dataset, pipeline=[pipeline[0], pipeline[1], pipeline[-1]]))


def test_300_classes_train_and_evaluate_with_void_65535(tmp_path):
    register_all_modules()
    _write_dataset(str(tmp_path))
    cfg = _config(str(tmp_path))
    meta = fill_dataset_meta(cfg)
    assert (meta.num_classes, meta.ignore_index) == (NUM, VOID)
    assert cfg.model.decode_head.num_classes == NUM
    assert cfg.model.decode_head.loss_semantic.ignore_index == VOID
    assert cfg.model.data_preprocessor.seg_pad_val == VOID
    assert cfg.val_evaluator[1].ignore_index == VOID
    runner = Runner.from_cfg(cfg)
    runner.train()  # two steps, then validation

    # labels: train id 255 is a class, void is 65535, also in the padding
    sample = runner.train_dataloader.dataset[0]['data_samples']
    sem = sample.gt_sem_seg.data[0]
    assert sem[0, 0] == 255 and sem[20, 0] == 0 and sem[0, W - 1] == VOID
    assert (sem[H:] == VOID).all()  # the crop padded 8 rows
    pan = sample.gt_panoptic_seg.data[0]
    assert pan[0, 0] == 255000 and pan[20, 5] == 299001
    assert pan[0, W - 1] == VOID * 1000

    # evaluation through the Runner's evaluator: a prediction equal to the
    # ground truth except class 0 predicted on the void strip scores 100
    # everywhere only if 65535 is void (for PQ: predicted pixels on void
    # leave the union; for mIoU: void pixels are ignored) and 255 is a class
    metrics = runner.val_loop.run()  # the trained model: runs, any score
    assert 0 <= metrics['mIoU'] <= 100
    val_sample = runner.val_dataloader.dataset[0]['data_samples']
    gt_sem = val_sample.gt_sem_seg.data
    void = gt_sem == VOID
    val_sample.pred_sem_seg = PixelData(data=torch.where(void, 0, gt_sem))
    gt_pan = val_sample.gt_panoptic_seg.data
    val_sample.pred_panoptic_seg = PixelData(data=torch.where(void, 0, gt_pan))
    evaluator = runner.val_loop.evaluator
    evaluator.process([val_sample])
    metrics = evaluator.evaluate(1)
    for name in ('c0', 'c255', 'c299'):
        assert metrics[f'panoptic/PQ_{name}'] == 100
    assert math.isnan(metrics['panoptic/PQ_c254'])  # in neither map
    assert metrics['mIoU'] == 100
