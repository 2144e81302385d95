"""Fenced code blocks of the Markdown documents, for tests that run them."""
import os.path as osp
import re

from repo import ROOT

FENCE = re.compile(r'^```(\w*)\n(.*?)^```', re.M | re.S)


def code_blocks(document: str, language: str) -> list:
    """The ``language`` blocks of ``document`` (a path relative to the
    repository root), in order, as strings."""
    with open(osp.join(ROOT, document)) as file:
        text = file.read()
    return [body for lang, body in FENCE.findall(text) if lang == language]


def block_with(document: str, language: str, marker: str) -> str:
    """The one ``language`` block of ``document`` that contains
    ``marker``."""
    found = [b for b in code_blocks(document, language) if marker in b]
    assert len(found) == 1, (
        f'{document}: {len(found)} {language} blocks contain {marker!r}')
    return found[0]
