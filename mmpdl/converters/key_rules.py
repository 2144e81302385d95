"""The key-template engine: renaming checkpoint keys between a foreign
naming scheme and mmpdl's, checked against the model of a config.

A foreign format (:mod:`mmpdl.converters.original`,
:mod:`mmpdl.converters.detectron2`) is described by a list of
:class:`KeyRule` s, each pairing two key templates, e.g.::

    KeyRule('backbone.layer{a}.{b}.downsample.0.{p*}',
            'backbone.layer{a}.{b}.downsample.conv.{p*}')

Placeholders: ``{name}`` matches a decimal integer; ``{name+K}`` /
``{name-K}`` is that integer shifted by ``K``; ``{name*}`` matches any
non-empty rest (dots included). Every placeholder appears on both sides, so
a rule works in either direction. :func:`convert_state_dict` checks that the
renaming is a bijection onto the parameters and buffers of the mmpdl model
(:func:`model_tensor_shapes`) with equal shapes, and lists every problem.

No library offers reversible key rewrites, so the templates are mmpdl's
own.
"""
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch

MAX_LISTED = 60
_PLACEHOLDER = re.compile(r'\{([A-Za-z_]\w*)(\*|[+-]\d+)?\}')


class _Template:
    """One side of a :class:`KeyRule`: a pattern plus a formatter."""

    def __init__(self, text: str):
        self.text = text
        self.fields: Dict[str, Tuple[str, int]] = {}
        pieces, pos = [], 0
        for match in _PLACEHOLDER.finditer(text):
            pieces.append(re.escape(text[pos:match.start()]))
            name, mod = match.group(1), match.group(2) or ''
            if name in self.fields:
                raise ValueError(f'placeholder {{{name}}} repeated in '
                                 f'template {text!r}')
            if mod == '*':
                self.fields[name] = ('rest', 0)
                pieces.append(f'(?P<{name}>.+)')
            else:
                self.fields[name] = ('int', int(mod) if mod else 0)
                pieces.append(f'(?P<{name}>\\d+)')
            pos = match.end()
        pieces.append(re.escape(text[pos:]))
        self.regex = re.compile(''.join(pieces) + r'\Z')

    def parse(self, key: str) -> Optional[Dict[str, object]]:
        """Placeholder values (offsets removed) if ``key`` matches."""
        match = self.regex.match(key)
        if match is None:
            return None
        values = {}
        for name, (kind, offset) in self.fields.items():
            raw = match.group(name)
            values[name] = raw if kind == 'rest' else int(raw) - offset
        return values

    def format(self, values: Dict[str, object]) -> Optional[str]:
        """Fill the template; None if a shifted integer would be < 0."""

        def fill(match):
            name = match.group(1)
            kind, offset = self.fields[name]
            if kind == 'rest':
                return str(values[name])
            number = int(values[name]) + offset
            if number < 0:
                raise _NegativeIndex
            return str(number)

        try:
            return _PLACEHOLDER.sub(fill, self.text)
        except _NegativeIndex:
            return None


class _NegativeIndex(Exception):
    pass


class KeyRule:
    """A renaming between a foreign key pattern and an mmpdl key pattern.

    Args:
        original (str): Template of the foreign format's key.
        mmpdl (str): Template of mmpdl's key; same placeholder names.
    """

    def __init__(self, original: str, mmpdl: str):
        self.original = _Template(original)
        self.mmpdl = _Template(mmpdl)
        a = {k: v[0] for k, v in self.original.fields.items()}
        b = {k: v[0] for k, v in self.mmpdl.fields.items()}
        if a != b:
            raise ValueError(f'KeyRule({original!r}, {mmpdl!r}): both sides '
                             'need the same placeholders of the same kind')

    def apply(self, key: str, reverse: bool = False) -> Optional[str]:
        """The renamed key, or None if this rule does not match ``key``."""
        src, dst = ((self.mmpdl, self.original) if reverse else
                    (self.original, self.mmpdl))
        values = src.parse(key)
        return None if values is None else dst.format(values)

    def __repr__(self) -> str:
        return f'KeyRule({self.original.text!r}, {self.mmpdl.text!r})'


def rename_keys(keys: Iterable[str],
                rules: Sequence[KeyRule],
                reverse: bool = False) -> Tuple[Dict[str, str], List[str]]:
    """Rename every key with the first rule that matches it.

    Args:
        keys (Iterable[str]): Keys in the source naming scheme.
        rules (Sequence[KeyRule]): Tried in order; first match wins.
        reverse (bool): Rename mmpdl -> foreign instead of the default
            foreign -> mmpdl.

    Returns:
        tuple[dict[str, str], list[str]]: ``{source key: new key}`` for the
        keys some rule renamed, and the keys no rule matched.
    """
    renamed, unmatched = {}, []
    for key in keys:
        for rule in rules:
            new = rule.apply(key, reverse=reverse)
            if new is not None:
                renamed[key] = new
                break
        else:
            unmatched.append(key)
    return renamed, unmatched


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


def model_tensor_shapes(cfg) -> 'OrderedDict[str, torch.Size]':
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
        state_dict (dict[str, Tensor]): Source tensors (foreign names, or
            mmpdl names when ``reverse``).
        target_shapes (dict[str, torch.Size]): Every key the result must
            have, with its shape (the other naming scheme).
        rules (Sequence[KeyRule]): The renaming rules.
        reverse (bool): mmpdl -> foreign instead of foreign -> mmpdl.
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
        direction = 'mmpdl -> foreign' if reverse else 'foreign -> mmpdl'
        raise KeyMappingError(
            f'cannot convert {what or "the checkpoint"} ({direction}): '
            'it does not match the model of the config. Check that the '
            'checkpoint and the config are for the same model-zoo row.',
            problems)
    by_target = {d: s for s, d in renamed.items()}
    return OrderedDict((d, state_dict[by_target[d]]) for d in target_shapes)


def convert_back(
        state_dict: Dict[str, torch.Tensor],
        target_shapes: Dict[str, torch.Size],
        rules: Sequence[KeyRule],
        foreign: str,
        what: Optional[str] = None) -> 'OrderedDict[str, torch.Tensor]':
    """mmpdl -> a foreign format (``foreign`` names it in errors).

    ``state_dict`` must fit the model of ``target_shapes`` exactly; the
    foreign names are those the ``rules`` map onto the model's keys.
    Returns foreign key -> tensor in model order; raises
    :class:`KeyMappingError` if the state dict does not fit the model or a
    model tensor has no foreign name.
    """
    check_state_dict(state_dict, target_shapes, what=what)
    names, unmatched = rename_keys(target_shapes, rules, reverse=True)
    if unmatched:
        raise KeyMappingError(
            f'the model of the config has tensors {foreign} does not have; '
            'it cannot be converted back', {'model keys': unmatched})
    return convert_state_dict(
        state_dict, {
            names[k]: s
            for k, s in target_shapes.items()
        },
        rules,
        reverse=True,
        what=what)


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
