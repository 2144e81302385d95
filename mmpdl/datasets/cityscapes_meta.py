"""Cityscapes class metadata, read from cityscapesscripts' ``labels.py``:
the one place that lists Cityscapes' classes, things and label divisor."""
from cityscapesscripts.helpers.labels import labels as CITYSCAPES_LABELS

from .panoptic_categories import IGNORE_INDEX, LABEL_DIVISOR

_EVAL_LABELS = sorted(
    (lb for lb in CITYSCAPES_LABELS if 0 <= lb.trainId < IGNORE_INDEX),
    key=lambda lb: lb.trainId)
CITYSCAPES_META = dict(
    classes=tuple(lb.name for lb in _EVAL_LABELS),
    palette=[list(lb.color) for lb in _EVAL_LABELS],
    thing_ids=[lb.trainId for lb in _EVAL_LABELS if lb.hasInstances],
    stuff_ids=[lb.trainId for lb in _EVAL_LABELS if not lb.hasInstances],
    label_ids=[lb.id for lb in _EVAL_LABELS],
    label_divisor=LABEL_DIVISOR,
    ignore_index=IGNORE_INDEX)
