"""Two-way key templates for renaming state-dict entries.

A :class:`KeyRule` pairs two templates, one in each naming scheme, e.g.::

    KeyRule('backbone.layer{a}.{b}.downsample.0.{p*}',
            'backbone.layer{a}.{b}.downsample.conv.{p*}')

Placeholders: ``{name}`` matches a decimal integer; ``{name+K}`` /
``{name-K}`` is that integer shifted by ``K`` (``'stage{i+1}'`` on one side
and ``'stages.{i}'`` on the other map ``stage2 <-> stages.1``); ``{name*}``
matches any non-empty rest (dots included) and is copied verbatim. Every
placeholder must appear on both sides, so a rule can be applied in either
direction and a list of rules describes a bijection that is checked by
:func:`rename_keys`'s callers.

Written by hand because no library offers reversible regex rewrites.
"""
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

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
    """A renaming between an original key pattern and an mmpdl key pattern.

    Args:
        original (str): Template of the original implementation's key.
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
        reverse (bool): Rename mmpdl -> original instead of the default
            original -> mmpdl.

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
