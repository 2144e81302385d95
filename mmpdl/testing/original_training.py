"""The original Panoptic-DeepLab's training, from a checkout, for
:mod:`mmpdl.testing.training_parity`.

Everything of the original's training comes from the checkout
(github.com/bowenc0221/panoptic-deeplab; nothing of it is copied here): the
model of a row's YAML (``build_segmentation_model_from_cfg``, BN momentum
from ``MODEL.BN_MOMENTUM``), the optimizer and LR scheduler of its
``SOLVER`` (``segmentation.solver.build_optimizer`` /
``build_lr_scheduler``), its dataset with its transforms and target
generator (``build_dataset_from_cfg`` on a Cityscapes-layout folder whose
``cityscapes_panoptic_train_trainId.json`` cityscapesscripts writes, as the
original's README prepares Cityscapes), and the five lines of its training
loop (``tools/train_net.py``: forward with targets, ``zero_grad``,
``backward``, ``step``, scheduler ``step``).
"""
import contextlib
import io
import os.path as osp
import random
import time
from typing import Dict, Iterator, List, Sequence, Tuple
from unittest import mock

import numpy as np
import torch

from mmpdl.converters.original import ORIGINAL_RULES
from .original import import_original, randomize
from .training_parity import (LOSS_TERMS, TrainingRecord, detached_state,
                              group_hyper, start_record)

#: the original's loss meters -> canonical loss terms
LOSS_METERS = dict(
    zip(('Semantic loss', 'Center loss', 'Offset loss'), LOSS_TERMS))


def write_train_id_json(root: str, split: str = 'train') -> str:
    """``gtFine/cityscapes_panoptic_<split>_trainId.json`` (and its PNG
    folder) of a Cityscapes-layout folder, by cityscapesscripts'
    ``convert2panoptic(useTrainId=True)`` as the original's README says;
    kept when already there. Returns the JSON path."""
    gt_dir = osp.join(root, 'gtFine')
    path = osp.join(gt_dir, f'cityscapes_panoptic_{split}_trainId.json')
    if not osp.isfile(path):
        from cityscapesscripts.preparation.createPanopticImgs import \
            convert2panoptic
        with contextlib.redirect_stdout(io.StringIO()):
            convert2panoptic(gt_dir, gt_dir, True, [split])
    return path


class _RecordingRandom:
    """Stands in for the ``random`` module of the original's transforms:
    draws from a seeded ``random.Random`` and records every draw."""

    def __init__(self, seed: int, draws: list):
        self._rng = random.Random(seed)
        self._draws = draws

    def randint(self, a: int, b: int) -> int:
        value = self._rng.randint(a, b)
        if a != 0:
            raise AssertionError(f'the original drew from [{a}, {b}]')
        self._draws.append(('randint', b + 1, value))
        return value

    def random(self) -> float:
        value = self._rng.random()
        self._draws.append(('rand', value))
        return value

    def uniform(self, a: float, b: float) -> float:
        value = self._rng.uniform(a, b)
        self._draws.append(('uniform', a, b, value))
        return value


@contextlib.contextmanager
def recorded_draws(seed: int) -> Iterator[list]:
    """Seed the original's transforms and record their draws.

    Yields a list that fills with ``('scale', factor)``, ``('randint', n,
    value)`` (``random.randint(0, n - 1)``) and ``('rand', value)`` in the
    order the original draws them (``np.random.shuffle`` of the scale grid
    seeded with ``seed`` too). The original's ``np.float`` (removed from
    numpy 1.24) is the builtin ``float`` it always was, in this context.
    """
    from segmentation.data.transforms import transforms
    draws = []
    scale_of = transforms.RandomScale.get_random_scale

    def recording_scale(*args):
        value = scale_of(*args)
        draws.append(('scale', float(value)))
        return value

    np.random.seed(seed)
    recording = _RecordingRandom(seed, draws)
    scale = staticmethod(recording_scale)
    with mock.patch.object(np, 'float', float, create=True), \
            mock.patch.object(transforms, 'random', recording), \
            mock.patch.object(transforms.RandomScale, 'get_random_scale',
                              scale):
        yield draws


def as_mmpdl_draws(draws: Sequence[tuple], factors: np.ndarray) -> list:
    """The original's draws in mmpdl's form (:class:`ReplayedDraws`): the
    scale becomes its index in mmpdl's factor grid (which must hold it
    exactly)."""
    out = []
    for draw in draws:
        if draw[0] == 'scale':
            hits = np.flatnonzero(factors == draw[1])
            if len(hits) != 1:
                raise AssertionError(f'the original drew the scale '
                                     f'{draw[1]!r}, not in mmpdl\'s grid '
                                     f'{factors.tolist()}')
            out.append(('randint', len(factors), int(hits[0])))
        else:
            out.append(draw)
    return out


@contextlib.contextmanager
def _dataset_size(count: int) -> Iterator[None]:
    """Let the original's Cityscapes classes accept ``count`` train images
    (they assert the real dataset's 2975)."""
    from segmentation.data.datasets import cityscapes, cityscapes_panoptic
    sizes = [
        cityscapes._CITYSCAPES_INFORMATION.splits_to_sizes,
        cityscapes_panoptic._CITYSCAPES_INFORMATION.splits_to_sizes
    ]
    saved = [dict(s) for s in sizes]
    for s in sizes:
        s['train'] = count
    try:
        yield
    finally:
        for s, old in zip(sizes, saved):
            s.clear()
            s.update(old)


class OriginalTraining:
    """The original's model, optimizer, scheduler and data of one row.

    Args:
        repo (str): Root of the original checkout.
        yaml_name (str): The row's YAML in its ``configs/``.
        crop (tuple[int, int]): Training crop (``DATASET.CROP_SIZE``).
        batch (int): Images per iteration (``TRAIN.IMS_PER_BATCH``).
        seed (int): Seed of the random initial weights.
    """

    def __init__(self, repo: str, yaml_name: str, crop: Tuple[int, int],
                 batch: int, seed: int):
        config, build_model, _ = import_original(repo)
        cfg = config.clone()
        cfg.defrost()
        cfg.merge_from_file(osp.join(repo, 'configs', yaml_name))
        cfg.MODEL.BACKBONE.PRETRAINED = False
        cfg.DATASET.CROP_SIZE = tuple(crop)
        cfg.TRAIN.IMS_PER_BATCH = batch
        self.cfg = cfg
        self.model = build_model(cfg)
        momenta = {
            m: m.momentum
            for m in self.model.modules()
            if isinstance(m, torch.nn.BatchNorm2d)
        }
        randomize(self.model, seed)  # sets BN momentum to None; restored:
        for module, momentum in momenta.items():
            module.momentum = momentum
        self.model.train()
        from segmentation.solver import build_lr_scheduler, build_optimizer
        self.optimizer = build_optimizer(cfg, self.model)
        self.scheduler = build_lr_scheduler(cfg, self.optimizer)
        self.dataset = None

    def state_for_conversion(self) -> Dict[str, torch.Tensor]:
        """The state dict holding the parameter objects themselves."""
        return self.model.state_dict(keep_vars=True)

    def open_dataset(self, root: str, count: int) -> None:
        """The original's training dataset on ``root`` (``count`` train
        images of the Cityscapes layout), built by its
        ``build_dataset_from_cfg``."""
        from segmentation.data.build import build_dataset_from_cfg
        write_train_id_json(root)
        cfg = self.cfg.clone()
        cfg.DATASET.ROOT = root
        with _dataset_size(count):
            self.dataset = build_dataset_from_cfg(cfg, is_train=True)

    def image_name(self, index: int) -> str:
        return osp.basename(self.dataset.img_list[index])

    def sample(self, index: int, seed: int) -> Tuple[dict, list]:
        """One training sample of the original's dataset with its draws
        (:func:`recorded_draws`)."""
        with recorded_draws(seed) as draws:
            item = self.dataset[index]
        return item, draws

    def train(self, batches: Sequence[Tuple[torch.Tensor,
                                            dict]], seeds: Sequence[int],
              names: Dict[int, str], convert) -> TrainingRecord:
        """Train on ``batches`` as the original's ``tools/train_net.py``.

        Args:
            batches: Per iteration the (N, 3, H, W) image and the dict of
                (N, ...) targets.
            seeds (Sequence[int]): torch seed set before each forward.
            names (dict[int, str]): ``id(parameter)`` -> mmpdl name.
            convert (callable): Original state dict -> mmpdl state dict.
        """
        record = start_record(self.model, self.optimizer,
                              self.cfg.SOLVER.CLIP_GRADIENTS, names, convert)
        started = time.time()
        for image, targets in batches:
            record.hyper.append(group_hyper(self.optimizer, names))
            torch.manual_seed(seeds[len(record.losses)])
            out_dict = self.model(image, targets)
            loss = out_dict['loss']
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            meters = self.model.loss_meter_dict
            record.losses.append({
                name: meters[m].val
                for m, name in LOSS_METERS.items()
            })
        record.seconds = time.time() - started
        record.final = convert(detached_state(self.model))
        return record


def original_targets(item: dict) -> Dict[str, torch.Tensor]:
    """The six targets of one original sample."""
    from .parity_data import TARGETS
    return {k: item[k] for k in TARGETS}


def collate(items: List[dict]) -> Tuple[torch.Tensor, dict]:
    """Stack original samples as its data loader does (the keys its loss
    reads)."""
    from .parity_data import TARGETS
    image = torch.stack([i['image'] for i in items])
    return image, {k: torch.stack([i[k] for i in items]) for k in TARGETS}


def original_converter(mmpdl_cfg):
    """``fn(original state dict) -> mmpdl state dict`` (same tensor
    objects) with the converter's rules."""
    from mmpdl.converters.key_rules import (convert_state_dict,
                                            model_tensor_shapes)
    shapes = model_tensor_shapes(mmpdl_cfg)

    def convert(state):
        return convert_state_dict(state, shapes, ORIGINAL_RULES)

    return convert
