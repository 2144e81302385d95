"""Cityscapes class metadata, read from cityscapesscripts' ``labels.py``."""
from cityscapesscripts.helpers.labels import labels as CITYSCAPES_LABELS

LABEL_DIVISOR = 1000
IGNORE_INDEX = 255
_EVAL_LABELS = sorted(
    (lb for lb in CITYSCAPES_LABELS if 0 <= lb.trainId < IGNORE_INDEX),
    key=lambda lb: lb.trainId)
#: Cityscapes label id -> train id, for the 19 evaluated classes.
LABEL_ID_TO_TRAIN_ID = {lb.id: lb.trainId for lb in _EVAL_LABELS}

CITYSCAPES_META = dict(
    classes=tuple(lb.name for lb in _EVAL_LABELS),
    palette=[list(lb.color) for lb in _EVAL_LABELS],
    thing_ids=[lb.trainId for lb in _EVAL_LABELS if lb.hasInstances],
    stuff_ids=[lb.trainId for lb in _EVAL_LABELS if not lb.hasInstances],
    label_ids=[lb.id for lb in _EVAL_LABELS],
    label_divisor=LABEL_DIVISOR,
    ignore_index=IGNORE_INDEX)
