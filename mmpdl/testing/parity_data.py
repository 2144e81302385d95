"""The batches of a training-parity check: mmpdl's training pipeline on a
local folder, its random draws replayed from a reference's, and the
comparison of its images and targets with the reference's.

Used by :mod:`mmpdl.testing.training_parity`'s adapters and the
augmentation-parity tests.
"""
import contextlib
import copy
import os.path as osp
from typing import Dict, Iterator, List, Sequence, Tuple
from unittest import mock

import numpy as np
import torch

#: the six training targets: reference key -> mmpdl data-sample field
TARGETS = {
    'semantic': 'gt_sem_seg',
    'semantic_weights': 'gt_sem_weights',
    'center': 'gt_center',
    'center_weights': 'gt_center_weights',
    'offset': 'gt_offset',
    'offset_weights': 'gt_offset_weights',
}


class DrawMismatch(AssertionError):
    """mmpdl asked for a draw the reference did not make (another range,
    another order, or more draws)."""


class ReplayedDraws:
    """Replays a reference's random draws into mmpdl's transforms.

    mmpdl's geometric transforms draw with ``np.random.randint(n)`` (scale
    index, padding, crop offsets) and ``np.random.rand()`` (flip). Inside
    this context both return the queued values in order; each ``randint``
    checks that the queued value was drawn from the same range, so a draw
    from another set or in another order fails loudly.

    Args:
        draws (Sequence[tuple]): ``('randint', n, value)`` (value drawn
            uniformly from ``0 .. n - 1``) or ``('rand', value)`` (uniform
            in [0, 1)).
    """

    def __init__(self, draws: Sequence[tuple]):
        self.queue = list(draws)
        self.used = 0

    def _next(self, kind: str) -> tuple:
        if self.used >= len(self.queue):
            raise DrawMismatch(f'mmpdl drew a {kind} after all '
                               f'{len(self.queue)} reference draws')
        draw = self.queue[self.used]
        self.used += 1
        if draw[0] != kind:
            raise DrawMismatch(f'draw {self.used}: mmpdl drew a {kind}, '
                               f'the reference {draw}')
        return draw

    def randint(self, low, high=None, size=None, dtype=int):
        if high is None:
            low, high = 0, low
        _, count, value = self._next('randint')
        if (low, high) != (0, count) or size is not None:
            raise DrawMismatch(
                f'draw {self.used}: mmpdl drew from range({low}, {high}), '
                f'the reference from range({count})')
        return value

    def rand(self, *shape):
        if shape:
            raise DrawMismatch('mmpdl drew an array of uniforms')
        return self._next('rand')[1]

    @contextlib.contextmanager
    def patched(self) -> Iterator['ReplayedDraws']:
        """Patch ``np.random.randint`` / ``rand``; on exit, every queued
        draw must have been used."""
        with mock.patch.object(np.random, 'randint', self.randint), \
                mock.patch.object(np.random, 'rand', self.rand):
            yield self
        if self.used != len(self.queue):
            raise DrawMismatch(f'mmpdl used {self.used} of the '
                               f'{len(self.queue)} reference draws')


def train_dataset_cfg(cfg,
                      data_root: str,
                      crop_size: Sequence[int],
                      overrides: dict = None):
    """The config's training dataset on ``data_root`` with another crop.

    Args:
        cfg (mmengine.Config): An mmpdl config.
        data_root (str): The folder of the data.
        crop_size (Sequence[int]): (H, W) of ``PanopticRandomCrop``.
        overrides (dict, optional): More dataset keys (``ann_file``,
            ``data_prefix`` of a COCO-format folder).

    Returns:
        dict: The dataset config.
    """
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset.data_root = data_root
    dataset.update(overrides or {})
    crops = [t for t in dataset.pipeline if t['type'] == 'PanopticRandomCrop']
    if len(crops) != 1:
        raise ValueError('the training pipeline needs exactly one '
                         f'PanopticRandomCrop, found {len(crops)}')
    crops[0]['crop_size'] = tuple(int(v) for v in crop_size)
    return dataset


def build_train_dataset(dataset_cfg):
    """Build (and load) an mmpdl dataset config."""
    from mmpdl.registry import DATASETS
    from mmpdl.utils import register_all_modules
    register_all_modules()
    dataset = DATASETS.build(dataset_cfg)
    dataset.full_init()
    return dataset


def index_by_image(dataset) -> Dict[str, int]:
    """``{image file name: dataset index}``."""
    return {
        osp.basename(dataset.get_data_info(i)['img_path']): i
        for i in range(len(dataset))
    }


def mmpdl_sample(dataset, index: int, draws=None) -> dict:
    """One packed training sample; the reference's ``draws`` replayed
    (:class:`ReplayedDraws`) when given, else numpy's global RNG draws.
    """
    if draws is None:
        return dataset.prepare_data(index)
    with ReplayedDraws(draws).patched():
        return dataset.prepare_data(index)


def mmpdl_inputs(preprocessor, samples: Sequence[dict]) -> torch.Tensor:
    """(N, 3, H, W) float32: what a model's data preprocessor (built from
    its config) makes of ``samples`` in training (normalised, RGB)."""
    batch = dict(
        inputs=[s['inputs'] for s in samples],
        data_samples=[s['data_samples'] for s in samples])
    with torch.no_grad():
        return preprocessor(batch, True)['inputs']


def _field(sample, name: str) -> torch.Tensor:
    """(C, H, W) center / offset, (H, W) for the other targets."""
    data = sample.get(name).data
    return data if name in ('gt_center', 'gt_offset') else data[0]


def compare_targets(reference: Dict[str, torch.Tensor],
                    sample) -> Dict[str, float]:
    """Largest absolute differences of the six targets.

    The reference's maps may be smaller than mmpdl's (detectron2 pads
    after the targets are made): mmpdl's extra rows/columns must then have
    no loss (ignored semantics, zero center and offset weights; semantic
    weights do not matter on ignored pixels), else the difference is
    ``inf``.

    Args:
        reference (dict[str, Tensor]): :data:`TARGETS` keys, (H, W) or
            (C, H, W).
        sample (PanopticDataSample): mmpdl's packed data sample.

    Returns:
        dict[str, float]: Per reference key.
    """
    out = {}
    for key, name in TARGETS.items():
        ref = reference[key].double()
        ours = _field(sample, name).double()
        h, w = ref.shape[-2:]
        if ours.shape[-2] < h or ours.shape[-1] < w:
            out[key] = float('inf')
            continue
        out[key] = (ref - ours[..., :h, :w]).abs().max().item()
        rest = torch.ones(ours.shape[-2:], dtype=torch.bool)
        rest[:h, :w] = False
        if rest.any():
            if key == 'semantic':
                bad = (ours[..., rest] != 255).any()
            elif key in ('center_weights', 'offset_weights'):
                bad = (ours[..., rest] != 0).any()
            else:
                bad = False
            if bad:
                out[key] = float('inf')
    return out


def compare_images(reference: torch.Tensor, ours: torch.Tensor) -> float:
    """Largest absolute difference of two (3, H, W) normalised RGB images.

    mmpdl's may be larger (padded in the crop where detectron2 pads the
    normalised batch with 0): it is compared with the reference padded with
    0 at the bottom/right.
    """
    h, w = reference.shape[-2:]
    if ours.shape[-2] < h or ours.shape[-1] < w:
        return float('inf')
    padded = torch.zeros_like(ours, dtype=torch.float64)
    padded[..., :h, :w] = reference
    return (padded - ours.double()).abs().max().item()


def summarize(image_diffs: List[float],
              target_diffs: List[Dict[str, float]],
              pixel_step: float,
              padded: int = 0) -> Tuple[bool, str]:
    """(identical, text) of a batch comparison.

    Args:
        image_diffs (list[float]): :func:`compare_images` per sample.
        target_diffs (list[dict]): :func:`compare_targets` per sample.
        pixel_step (float): One grey level after normalisation (1 / std
            on the 0-255 scale); images closer than a hundredth of it have
            the same pixels (float rounding of the normalisation only).
        padded (int): How many of the samples were padded (smaller than
            the crop), shown in the text.
    """
    image = max(image_diffs) if image_diffs else 0.0
    targets = max((max(d.values()) for d in target_diffs), default=0.0)
    identical = image < pixel_step / 100 and targets == 0
    count = f'{padded} of {len(image_diffs)} crops padded'
    if identical:
        return True, f'same pixels & targets ({count})'
    return False, (f'image diff {image / pixel_step:.2f} grey levels, '
                   f'target diff {targets:.1e} ({count})')
