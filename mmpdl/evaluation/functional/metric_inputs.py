"""Shared input handling of the metrics: sample fields."""
import os.path as osp
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

#: instance score type -> (field of ``pred_instances``, metric key suffix,
#: Cityscapes output folder)
SCORE_TYPES = {
    'semantic': ('scores', '', 'instance_sem'),
    'semantic_x_center':
    ('scores_sem_x_ctr', '_sem_x_ctr', 'instance_sem_x_ctr'),
}


def sample_field(data_sample: Any, key: str, required: bool = True) -> Any:
    """``data_sample[key]`` from a dict or a data element.

    Pixel fields (``{'data': tensor}`` or ``PixelData``) are returned as the
    (H, W) tensor of their single channel.

    Args:
        data_sample (dict | BaseDataElement): One evaluated sample.
        key (str): Field name.
        required (bool): Raise if missing (else return None).

    Returns:
        Any: The value.
    """
    if isinstance(data_sample, dict):
        value = data_sample.get(key)
    else:
        value = getattr(data_sample, key, None)
    if value is None:
        if required:
            raise KeyError(
                f'The evaluated data sample has no "{key}" (it has '
                f'{sorted(data_sample.keys())}); the segmentor/pipeline must '
                f'provide it.')
        return None
    if isinstance(value, dict) and set(value) == {'data'}:
        value = value['data']
    elif hasattr(value, 'data') and not isinstance(value, torch.Tensor):
        value = value.data
    if isinstance(value,
                  torch.Tensor) and value.dim() == 3 and key.endswith('_seg'):
        value = value[0]
    return value


def check_writer_args(owner: str,
                      format_only: bool,
                      outfile_prefix: Optional[str],
                      score_types: Optional[Sequence[str]] = None) -> None:
    """Raise on arguments of a metric that cannot work together.

    Args:
        owner (str): The metric's class name, for the message.
        format_only (bool): Only write result files.
        outfile_prefix (str, optional): Where they are written.
        score_types (Sequence[str], optional): Instance scores asked for
            (keys of :data:`SCORE_TYPES`).
    """
    unknown = [t for t in score_types or () if t not in SCORE_TYPES]
    if unknown:
        raise ValueError(f'{owner}: unknown score_types {unknown}; choose '
                         f'from {sorted(SCORE_TYPES)}.')
    if format_only and not outfile_prefix:
        raise ValueError(f'{owner}(format_only=True) needs '
                         'outfile_prefix=<folder to write to>.')


def instance_field(inst: Any, key: str) -> Any:
    """``inst[key]`` from a dict or ``InstanceData``, with a clear error.

    Args:
        inst (dict | InstanceData): A sample's ``pred_instances``.
        key (str): e.g. ``'masks'`` (K, H, W) bool, ``'labels'`` (K,)
            int64, ``'scores'`` (K,) float.

    Returns:
        Tensor: The field.
    """
    value = inst.get(key) if isinstance(inst, dict) else getattr(
        inst, key, None)
    if value is None:
        raise KeyError(f'pred_instances has no "{key}"; the segmentor must '
                       'provide masks, labels, scores and scores_sem_x_ctr.')
    return value


def sample_image_id(data_sample: Any) -> Union[int, str]:
    """The sample's ``image_id`` (its id in the dataset's JSON), else the
    file stem of its ``img_path``.

    Args:
        data_sample (dict | BaseDataElement): One evaluated sample.

    Returns:
        int | str: The image id.
    """
    image_id = sample_field(data_sample, 'image_id', required=False)
    if image_id is None:
        img_path = sample_field(data_sample, 'img_path')
        return osp.splitext(osp.basename(img_path))[0]
    return int(image_id) if isinstance(image_id, np.integer) else image_id
