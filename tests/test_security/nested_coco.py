"""A COCO-panoptic val split whose two images share a base name in two
folders (``cam1/0001.jpg``, ``cam2/0001.jpg``), as
``tools/dataset_converters/labels_to_coco_panoptic.py`` writes nested
names, and random weights of the COCO-format quickstart model."""
import json
import os
import os.path as osp

import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm

from mmpdl.datasets import make_synthetic_coco_panoptic
from mmpdl.datasets.config_meta import fill_dataset_meta
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules

CONFIG = ('configs/panoptic_deeplab/panoptic-deeplab_r18-os32_1xb2-800iter_'
          'synthetic-coco-panoptic-257x385.py')


def nested_coco_dataset(root) -> str:
    """The built-in COCO-format data (2 val images of up to 64x96) with
    the val images moved to ``cam1/0001.*`` and ``cam2/0001.*``."""
    root = str(root)
    make_synthetic_coco_panoptic(root, 1, 2, size=(64, 96), seed=3)
    ann_file = osp.join(root, 'annotations', 'panoptic_val.json')
    with open(ann_file) as f:
        ann = json.load(f)
    png_dir = osp.join(root, 'annotations', 'panoptic_val')
    for index, (image,
                item) in enumerate(zip(ann['images'], ann['annotations'])):
        folder = f'cam{index + 1}'
        for base, entry, ext in ((osp.join(root, 'val'), image, '.jpg'),
                                 (png_dir, item, '.png')):
            os.makedirs(osp.join(base, folder))
            new_name = f'{folder}/0001{ext}'
            os.rename(
                osp.join(base, entry['file_name']), osp.join(base, new_name))
            entry['file_name'] = new_name
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    return root


def random_checkpoint(path, data_root) -> str:
    """Random weights of the COCO-format quickstart model (the 9 classes of
    the data at ``data_root``)."""
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_root = data_root
    fill_dataset_meta(cfg)
    cfg.model.backbone.init_cfg = None
    net = revert_sync_batchnorm(MODELS.build(cfg.model))
    torch.save({'state_dict': net.state_dict(), 'meta': {}}, str(path))
    return str(path)
