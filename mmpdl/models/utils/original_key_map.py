"""Map state dicts between the original Panoptic-DeepLab and mmpdl.

The destination names and shapes come from the mmpdl model built from a
config (:func:`mmpdl_tensor_shapes`); the renaming comes from the rule tables
in :mod:`mmpdl.models.utils.original_key_rules`. :func:`convert_state_dict`
checks that the renaming is a bijection onto the model's parameters and
buffers with equal shapes, and reports every problem at once.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch

from mmpdl.models.utils.key_template import KeyRule, rename_keys

MAX_LISTED = 60


class KeyMappingError(ValueError):
    """The tensors of a checkpoint do not fit the model of a config.

    Attributes:
        problems (dict[str, list[str]]): Category -> offending entries.
    """

    def __init__(self, header: str, problems: Dict[str, List[str]]):
        self.problems = problems
        lines = [header]
        for category, entries in problems.items():
            lines.append(f'  {category} ({len(entries)}):')
            lines += [f'    {e}' for e in entries[:MAX_LISTED]]
            if len(entries) > MAX_LISTED:
                lines.append(f'    ... and {len(entries) - MAX_LISTED} more')
        super().__init__('\n'.join(lines))


def mmpdl_tensor_shapes(cfg) -> 'OrderedDict[str, torch.Size]':
    """Names and shapes of every parameter and buffer of a config's model.

    The model is built on the ``meta`` device (no memory, no init cost).

    Args:
        cfg (mmengine.Config): An mmpdl config with a ``model`` entry.

    Returns:
        OrderedDict[str, torch.Size]: ``state_dict`` key -> shape.
    """
    from mmpdl.registry import MODELS
    from mmpdl.utils import register_all_modules

    register_all_modules()
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    return OrderedDict((k, v.shape) for k, v in model.state_dict().items())


def convert_state_dict(
        state_dict: Dict[str, torch.Tensor],
        target_shapes: Dict[str, torch.Size],
        rules: Sequence[KeyRule],
        reverse: bool = False,
        what: Optional[str] = None) -> 'OrderedDict[str, torch.Tensor]':
    """Rename a state dict and check it fills a model exactly.

    Args:
        state_dict (dict[str, Tensor]): Source tensors (original names, or
            mmpdl names when ``reverse``).
        target_shapes (dict[str, torch.Size]): Every key the result must
            have, with its shape (the other naming scheme).
        rules (Sequence[KeyRule]): The renaming rules.
        reverse (bool): mmpdl -> original instead of original -> mmpdl.
        what (str, optional): Names the checkpoint/config in the error.

    Returns:
        OrderedDict[str, Tensor]: Renamed tensors (the same tensor objects),
        in the order of ``target_shapes``.

    Raises:
        KeyMappingError: listing source keys that no rule renames, source
            keys whose new name the model lacks, new names produced twice,
            model keys left unfilled and shape mismatches.
    """
    renamed, unmatched = rename_keys(state_dict, rules, reverse=reverse)
    producers: Dict[str, List[str]] = {}
    for src, dst in renamed.items():
        producers.setdefault(dst, []).append(src)
    problems = OrderedDict()
    problems['source keys no rule renames'] = unmatched
    problems['source keys whose new name the model lacks'] = [
        f'{s} -> {d}' for s, d in renamed.items() if d not in target_shapes
    ]
    problems['model keys filled more than once'] = [
        f'{d} <- {srcs}' for d, srcs in producers.items() if len(srcs) > 1
    ]
    problems['model keys not filled by the checkpoint'] = [
        f'{d} {tuple(shape)}' for d, shape in target_shapes.items()
        if d not in producers
    ]
    problems['shape mismatches (checkpoint vs model)'] = [
        f'{s} {tuple(state_dict[s].shape)} -> {d} '
        f'{tuple(target_shapes[d])}' for s, d in renamed.items()
        if d in target_shapes and state_dict[s].shape != target_shapes[d]
    ]
    problems = OrderedDict((k, v) for k, v in problems.items() if v)
    if problems:
        direction = 'mmpdl -> original' if reverse else 'original -> mmpdl'
        raise KeyMappingError(
            f'cannot convert {what or "the checkpoint"} ({direction}): '
            'it does not match the model of the config. Check that the '
            'checkpoint and the config are for the same model-zoo row.',
            problems)
    by_target = {d: s for s, d in renamed.items()}
    return OrderedDict((d, state_dict[by_target[d]]) for d in target_shapes)


def check_state_dict(state_dict: Dict[str, torch.Tensor],
                     expected_shapes: Dict[str, torch.Size],
                     what: Optional[str] = None) -> None:
    """Check that a state dict has exactly the expected keys and shapes.

    Args:
        state_dict (dict[str, Tensor]): Tensors to check.
        expected_shapes (dict[str, torch.Size]): Required keys and shapes.
        what (str, optional): Names the checkpoint in the error.

    Raises:
        KeyMappingError: listing unexpected keys, missing keys and shape
            mismatches.
    """
    problems = OrderedDict()
    problems['unexpected keys'] = [
        k for k in state_dict if k not in expected_shapes
    ]
    problems['missing keys'] = [
        f'{k} {tuple(s)}' for k, s in expected_shapes.items()
        if k not in state_dict
    ]
    problems['shape mismatches (checkpoint vs model)'] = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(s)}'
        for k, s in expected_shapes.items()
        if k in state_dict and state_dict[k].shape != s
    ]
    problems = OrderedDict((k, v) for k, v in problems.items() if v)
    if problems:
        raise KeyMappingError(
            f'{what or "the checkpoint"} does not match the model of the '
            'config.', problems)
