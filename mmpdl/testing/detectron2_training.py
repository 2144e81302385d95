"""detectron2's Panoptic-DeepLab training, from a checkout, for
:mod:`mmpdl.testing.training_parity`.

Everything of detectron2's training comes from the checkout
(github.com/facebookresearch/detectron2; nothing of it is copied here): the
model of a YAML (:func:`mmpdl.testing.detectron2.build_detectron2`), the
optimizer and LR scheduler as ``projects/Panoptic-DeepLab/train_net.py``
builds them (its ``Trainer.build_optimizer``: ``get_default_optimizer_params``
with the norm / bias weight-decay rules, Adam or SGD, gradient clipping;
its ``Trainer.build_lr_scheduler``: the DeepLab project's WarmupPolyLR),
its data mapper with ``build_sem_seg_train_aug`` (resize shortest edge,
crop, flip) and target generator on dataset dicts of detectron2's own
loaders, and its ``SimpleTrainer`` loop with the ``LRScheduler`` hook.
"""
import importlib.util
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

from .detectron2 import PROJECT, build_detectron2, randomize
from .training_parity import (LOSS_TERMS, TrainingRecord, detached_state,
                              group_hyper, start_record)

#: detectron2's loss names -> canonical loss terms
LOSS_NAMES = dict(
    zip(('loss_sem_seg', 'loss_center', 'loss_offset'), LOSS_TERMS))
#: detectron2 target keys -> the keys of :data:`parity_data.TARGETS`
TARGET_KEYS = dict(
    sem_seg='semantic',
    sem_seg_weights='semantic_weights',
    center='center',
    center_weights='center_weights',
    offset='offset',
    offset_weights='offset_weights')
COCO_DATASET = 'mmpdl_parity_coco_panoptic_train'


def import_train_net(repo: str):
    """``projects/Panoptic-DeepLab/train_net.py`` of the checkout as a
    module (its ``Trainer`` and ``build_sem_seg_train_aug``)."""
    path = osp.join(repo, PROJECT, 'train_net.py')
    name = 'mmpdl_detectron2_train_net'
    if name not in sys.modules:
        # train_net imports the project as
        # detectron2.projects.panoptic_deeplab: the package already imported
        # from the same folder (its model registers once)
        import panoptic_deeplab
        sys.modules.setdefault('detectron2.projects.panoptic_deeplab',
                               panoptic_deeplab)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def register_coco_format(json_file: str) -> str:
    """Register the metadata of a COCO-panoptic JSON (contiguous id = index
    of the category in ``categories``, as mmpdl's train ids) as a training
    dataset name for detectron2's mapper; returns the name."""
    from detectron2.data import MetadataCatalog
    with open(json_file) as f:
        categories = json.load(f)['categories']
    things = {
        c['id']: i
        for i, c in enumerate(categories) if c.get('isthing', 0)
    }
    stuff = {
        c['id']: i
        for i, c in enumerate(categories) if not c.get('isthing', 0)
    }
    meta = MetadataCatalog.get(COCO_DATASET)
    if not hasattr(meta, 'thing_dataset_id_to_contiguous_id'):
        meta.set(
            thing_dataset_id_to_contiguous_id=things,
            stuff_dataset_id_to_contiguous_id=stuff,
            ignore_label=255,
            label_divisor=1000)
    return COCO_DATASET


class Detectron2Training:
    """detectron2's model, optimizer, scheduler and data of one row.

    Args:
        repo (str): Root of the detectron2 checkout.
        cfg: detectron2's config of the row (SyncBN as BN, CPU; crop,
            batch and training dataset already set).
        seed (int): Seed of the random initial weights.
    """

    def __init__(self, repo: str, cfg, seed: int):
        self.cfg = cfg
        self.train_net = import_train_net(repo)
        self.model = build_detectron2(cfg)
        randomize(self.model, seed, (1, 3, *cfg.INPUT.CROP.SIZE))
        self.model.train()
        trainer = self.train_net.Trainer
        self.optimizer = trainer.build_optimizer(cfg, self.model)
        self.scheduler = trainer.build_lr_scheduler(cfg, self.optimizer)
        self.dicts = []
        self.mapper = None

    def state_for_conversion(self) -> Dict[str, torch.Tensor]:
        """The state dict holding the parameter objects themselves."""
        return self.model.state_dict(keep_vars=True)

    def open_cityscapes(self, root: str) -> None:
        """Dataset dicts of a Cityscapes-layout folder by detectron2's
        ``load_cityscapes_panoptic`` (its train metadata)."""
        from detectron2.data import MetadataCatalog
        from detectron2.data.datasets.cityscapes_panoptic import \
            load_cityscapes_panoptic
        write_label_train_ids(osp.join(root, 'gtFine', 'train'))
        meta = MetadataCatalog.get(self.cfg.DATASETS.TRAIN[0]).as_dict()
        self.dicts = load_cityscapes_panoptic(
            osp.join(root, 'leftImg8bit', 'train'),
            osp.join(root, 'gtFine', 'cityscapes_panoptic_train'),
            osp.join(root, 'gtFine', 'cityscapes_panoptic_train.json'), meta)
        self._open_mapper()

    def open_coco(self, json_file: str, image_dir: str, png_dir: str) -> None:
        """Dataset dicts of a COCO-panoptic folder by detectron2's
        ``load_coco_panoptic_json`` (which assumes ``.jpg`` names; the
        JSON's own image names are put back)."""
        from detectron2.data import MetadataCatalog
        from detectron2.data.datasets.coco_panoptic import \
            load_coco_panoptic_json
        meta = MetadataCatalog.get(self.cfg.DATASETS.TRAIN[0]).as_dict()
        with open(json_file) as f:
            names = {i['id']: i['file_name'] for i in json.load(f)['images']}
        self.dicts = load_coco_panoptic_json(json_file, image_dir, png_dir,
                                             meta)
        for d in self.dicts:
            d['file_name'] = osp.join(image_dir, names[d['image_id']])
        self._open_mapper()

    def _open_mapper(self) -> None:
        from detectron2.projects.panoptic_deeplab import \
            PanopticDeeplabDatasetMapper
        self.mapper = PanopticDeeplabDatasetMapper(
            self.cfg,
            augmentations=self.train_net.build_sem_seg_train_aug(self.cfg))

    def image_name(self, index: int) -> str:
        return osp.basename(self.dicts[index]['file_name'])

    def sample(self, index: int, seed: int) -> dict:
        """One mapped training sample, numpy's global RNG seeded first."""
        np.random.seed(seed)
        return self.mapper(self.dicts[index])

    def train(self, batches: Sequence[List[dict]], seeds: Sequence[int],
              names: Dict[int, str], convert) -> TrainingRecord:
        """Train on ``batches`` with detectron2's ``SimpleTrainer`` and its
        ``LRScheduler`` hook (what ``DefaultTrainer`` runs).

        Args:
            batches: Per iteration the list of mapped samples.
            seeds (Sequence[int]): torch seed set before each forward.
            names (dict[int, str]): ``id(parameter)`` -> mmpdl name.
            convert (callable): detectron2 state dict -> mmpdl state dict.
        """
        from detectron2.engine import SimpleTrainer, hooks
        record = start_record(self.model, self.optimizer,
                              self.cfg.SOLVER.CLIP_GRADIENTS, names, convert)

        class Recorder(hooks.HookBase):

            def before_step(hook):
                record.hyper.append(group_hyper(self.optimizer, names))
                torch.manual_seed(seeds[len(record.hyper) - 1])

            def after_step(hook):
                storage = hook.trainer.storage
                record.losses.append({
                    term:
                    float(storage.history(name).latest())
                    for name, term in LOSS_NAMES.items()
                })

        trainer = SimpleTrainer(self.model, list(batches), self.optimizer)
        trainer.register_hooks(
            [Recorder(),
             hooks.LRScheduler(self.optimizer, self.scheduler)])
        started = time.time()
        trainer.train(0, len(batches))
        record.seconds = time.time() - started
        record.final = convert(detached_state(self.model))
        return record


def write_label_train_ids(gt_dir: str) -> int:
    """``*_gtFine_labelTrainIds.png`` next to each ``*_labelIds.png`` of
    ``gt_dir`` (cityscapesscripts' label id -> train id; 255 for labels
    without one), which detectron2's loader wants to exist (its
    Panoptic-DeepLab mapper does not read them); kept when already there.
    Returns the number written."""
    import glob

    import cv2
    from cityscapesscripts.helpers.labels import labels
    table = np.full(256, 255, np.uint8)
    for label in labels:
        if 0 <= label.id < 256 and 0 <= label.trainId < 255:
            table[label.id] = label.trainId
    written = 0
    for path in sorted(glob.glob(osp.join(gt_dir, '*', '*_labelIds.png'))):
        out = path.replace('_labelIds.png', '_labelTrainIds.png')
        if not osp.isfile(out):
            ids = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            cv2.imwrite(out, table[ids])
            written += 1
    return written


def detectron2_targets(item: dict) -> Dict[str, torch.Tensor]:
    """The six targets of one mapped sample, under the keys of
    :data:`mmpdl.testing.parity_data.TARGETS` (center as (1, H, W))."""
    out = {TARGET_KEYS[k]: item[k] for k in TARGET_KEYS}
    out['center'] = out['center'][None]
    return out


def detectron2_image(item: dict, cfg) -> torch.Tensor:
    """(3, H, W) float32: the sample's image as detectron2's model
    normalises it (``(x - pixel_mean) / pixel_std``)."""
    mean = torch.tensor(cfg.MODEL.PIXEL_MEAN).view(-1, 1, 1)
    std = torch.tensor(cfg.MODEL.PIXEL_STD).view(-1, 1, 1)
    return (item['image'] - mean) / std


def set_crop(cfg, crop: Tuple[int, int]) -> None:
    """Train detectron2's ``cfg`` on ``crop`` (H, W): the crop, and the
    batch padding of a row that pads to a fixed size (COCO's
    ``SIZE_DIVISIBILITY``), which must then be square."""
    cfg.INPUT.CROP.SIZE = tuple(crop)
    if cfg.MODEL.PANOPTIC_DEEPLAB.SIZE_DIVISIBILITY > 0:
        if crop[0] != crop[1]:
            raise ValueError(f'{crop}: a row padding to a fixed size trains '
                             'on square crops')
        cfg.MODEL.PANOPTIC_DEEPLAB.SIZE_DIVISIBILITY = int(crop[0])
