"""Refuse a checkpoint that does not fit the model it is loaded into.

mmengine's ``load_checkpoint`` (``strict=False``) only logs missing,
unexpected and wrongly shaped weights, so a checkpoint of another config
silently evaluates a half-random model. Testing and inference call
:func:`check_checkpoint_fits` on what mmengine's ``_load_checkpoint``
returned, before the weights are copied. Training keeps mmengine's
behaviour (``load_from`` and backbone ``Pretrained`` weights may differ
from the model on purpose).
"""
import re
from typing import Dict, List, Mapping

import torch
from mmengine.model import BaseTTAModel, is_model_wrapper

#: How many names of each kind an error shows.
SHOWN = 3


def unwrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """The network inside DDP/TTA wrappers (what a checkpoint holds)."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def state_dict_mismatch(
        model: torch.nn.Module,
        state_dict: Mapping[str, torch.Tensor]) -> Dict[str, List[str]]:
    """Weights of ``model`` that ``state_dict`` leaves unloaded or
    mismatched.

    Args:
        model (nn.Module): The model to load into (wrappers are unwrapped).
        state_dict (Mapping[str, Tensor]): The checkpoint's weights; a
            ``module.`` prefix (DDP) is ignored, as mmengine does.

    Returns:
        dict: ``missing`` (model keys absent from the checkpoint),
        ``unexpected`` (checkpoint keys absent from the model) and
        ``shape`` (``'name: checkpoint (a, b) vs model (c, d)'``).
    """
    expected = unwrap_model(model).state_dict()
    given = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
    shape = [
        f'{name}: checkpoint {tuple(given[name].shape)} vs model '
        f'{tuple(value.shape)}' for name, value in expected.items()
        if name in given and hasattr(given[name], 'shape')
        and tuple(given[name].shape) != tuple(value.shape)
    ]
    return dict(
        missing=[k for k in expected if k not in given],
        unexpected=[k for k in given if k not in expected],
        shape=shape)


def saved_with(meta) -> str:
    """Which config a checkpoint's ``meta`` says it was saved with."""
    meta = meta if isinstance(meta, Mapping) else {}
    if meta.get('converted_for_config'):  # tools/model_converters
        return f'was converted for config {meta["converted_for_config"]!r}'
    if meta.get('experiment_name'):  # mmengine Runner: <config>_<time>
        name = re.sub(r'_\d{8}_\d{6}$', '', str(meta['experiment_name']))
        return f'was saved by a run of config {name!r}'
    return 'names no config in its meta'


def check_checkpoint_fits(model: torch.nn.Module, checkpoint: Mapping,
                          source: str) -> None:
    """Raise unless every weight of ``model`` is in ``checkpoint`` with its
    shape, and the checkpoint holds no weight the model lacks.

    Args:
        model (nn.Module): The model to load into.
        checkpoint (Mapping): What mmengine's ``_load_checkpoint`` returned
            (``state_dict`` + ``meta``, or a bare state dict).
        source (str): The checkpoint's path or URL, named in the error.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    problems = state_dict_mismatch(model, state_dict)
    parts = []
    for kind, what in (('missing', 'model weights are not in the checkpoint'),
                       ('unexpected', 'checkpoint weights are not in the '
                        'model'), ('shape', 'weights have another shape')):
        names = problems[kind]
        if names:
            parts.append(f'{len(names)} {what} (first: '
                         f'{", ".join(names[:SHOWN])})')
    if not parts:
        return
    total = sum(len(names) for names in problems.values())
    raise ValueError(
        f'checkpoint {source!r} does not fit the model of this config '
        f'({total} weights would stay unloaded or mismatched): '
        f'{"; ".join(parts)}. The checkpoint '
        f'{saved_with(checkpoint.get("meta"))}: test it with that config, '
        'or convert an original Panoptic-DeepLab checkpoint with '
        'tools/model_converters/panoptic_deeplab_to_mmpdl.py.')
