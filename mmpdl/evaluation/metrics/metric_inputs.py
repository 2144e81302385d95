"""Shared input handling of the Cityscapes metrics: meta and sample fields."""
from typing import Any, Dict, Optional

import torch
from cityscapesscripts.helpers.labels import labels as cs_labels

META_KEYS = ('classes', 'thing_ids', 'stuff_ids', 'label_ids', 'label_divisor',
             'ignore_index')


def cityscapes_default_meta() -> Dict[str, Any]:
    """The 19-class Cityscapes meta, read from cityscapesscripts' labels.

    Returns:
        dict: ``classes``, ``thing_ids``, ``stuff_ids``, ``label_ids``,
        ``label_divisor`` (1000) and ``ignore_index`` (255).
    """
    train = sorted((lab for lab in cs_labels
                    if not lab.ignoreInEval and 0 <= lab.trainId < 255),
                   key=lambda lab: lab.trainId)
    return dict(
        classes=[lab.name for lab in train],
        thing_ids=[lab.trainId for lab in train if lab.hasInstances],
        stuff_ids=[lab.trainId for lab in train if not lab.hasInstances],
        label_ids=[lab.id for lab in train],
        label_divisor=1000,
        ignore_index=255)


def resolve_meta(dataset_meta: Optional[dict]) -> Dict[str, Any]:
    """Panoptic meta of the dataset, Cityscapes defaults for missing keys.

    Args:
        dataset_meta (dict | None): The metric's ``dataset_meta``.

    Returns:
        dict: All of :data:`META_KEYS`.
    """
    meta = cityscapes_default_meta()
    for key in META_KEYS:
        if dataset_meta and key in dataset_meta:
            meta[key] = dataset_meta[key]
    if len(meta['label_ids']) != len(meta['classes']):
        raise ValueError(
            f"dataset_meta has {len(meta['classes'])} classes but "
            f"{len(meta['label_ids'])} label_ids; give one Cityscapes label "
            'id per train id.')
    return meta


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
