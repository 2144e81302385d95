"""Stack the training targets of ``PanopticDataSample``s into tensors."""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F

# target key -> (data sample field, padding value, keep channel dim); the
# semantic labels are padded with the ignore index
TARGET_FIELDS = {
    'sem_seg': ('gt_sem_seg', None, False),
    'sem_weights': ('gt_sem_weights', 0, False),
    'center': ('gt_center', 0, True),
    'center_weights': ('gt_center_weights', 0, False),
    'offset': ('gt_offset', 0, True),
    'offset_weights': ('gt_offset_weights', 0, False),
}


def _pad_bottom_right(tensor: torch.Tensor, size: Tuple[int, int],
                      value: float, field: str) -> torch.Tensor:
    """Pad a (C, h, w) map to ``size``; error if it is larger."""
    height, width = tensor.shape[-2:]
    if height > size[0] or width > size[1]:
        raise ValueError(f'{field} is {height}x{width}, larger than the '
                         f'input batch {size[0]}x{size[1]}')
    if (height, width) == tuple(size):
        return tensor
    return F.pad(
        tensor, (0, size[1] - width, 0, size[0] - height), value=value)


def stack_panoptic_targets(data_samples: Sequence, size: Tuple[int, int],
                           ignore_index: int) -> Dict[str, torch.Tensor]:
    """Gather and stack the gt fields the losses need.

    Maps smaller than ``size`` (the data preprocessor pads images, not the
    panoptic targets) are padded at the bottom/right with ``ignore_index``
    for the semantic labels and 0 for everything else, so padded pixels have
    no loss. ``gt_sem_weights`` defaults to ones when absent.

    Args:
        data_samples (Sequence[PanopticDataSample]): With ``gt_sem_seg``,
            ``gt_center``, ``gt_offset``, ``gt_center_weights``,
            ``gt_offset_weights`` and optionally ``gt_sem_weights``.
        size (tuple[int, int]): (H, W) of the input batch.
        ignore_index (int): Semantic padding label (the dataset's).

    Returns:
        dict[str, Tensor]: ``sem_seg`` (N, H, W) int64, ``sem_weights``
        (N, H, W), ``center`` (N, 1, H, W), ``center_weights`` (N, H, W),
        ``offset`` (N, 2, H, W), ``offset_weights`` (N, H, W), float32.
    """
    targets = {}
    for key, (field, pad_value, keep_channels) in TARGET_FIELDS.items():
        if key == 'sem_seg':
            pad_value = ignore_index
        maps = []
        for i, sample in enumerate(data_samples):
            if field not in sample:
                if field == 'gt_sem_weights':
                    sem = sample.gt_sem_seg.data
                    maps.append(
                        _pad_bottom_right(
                            torch.ones_like(sem, dtype=torch.float32), size, 0,
                            field))
                    continue
                raise KeyError(
                    f'data sample {i} has no {field!r}: the training '
                    'pipeline must make the panoptic targets (add '
                    "GeneratePanopticTargets before PackPanopticInputs)")
            data = sample.get(field).data
            maps.append(_pad_bottom_right(data, size, pad_value, field))
        stacked = torch.stack(maps)
        targets[key] = stacked if keep_channels else stacked[:, 0]
    targets['sem_seg'] = targets['sem_seg'].long()
    for key in targets:
        if key != 'sem_seg':
            targets[key] = targets[key].float()
    return targets
