"""Cityscapes class metadata, read from cityscapesscripts' ``labels.py``:
the one place that lists Cityscapes' classes, things and label ids."""
from cityscapesscripts.helpers.labels import labels as CITYSCAPES_LABELS

from mmpdl.structures import IGNORE_INDEX, PanopticMetaInfo

_EVAL_LABELS = sorted(
    (lb for lb in CITYSCAPES_LABELS if 0 <= lb.trainId < IGNORE_INDEX),
    key=lambda lb: lb.trainId)
#: :class:`PanopticMetaInfo` of Cityscapes (19 train ids, 8 things)
CITYSCAPES_PANOPTIC_META = PanopticMetaInfo(
    classes=[lb.name for lb in _EVAL_LABELS],
    palette=[lb.color for lb in _EVAL_LABELS],
    thing_ids=[lb.trainId for lb in _EVAL_LABELS if lb.hasInstances],
    label_ids=[lb.id for lb in _EVAL_LABELS],
    source='Cityscapes metadata')
#: the same as a dataset's ``METAINFO`` dict
CITYSCAPES_META = CITYSCAPES_PANOPTIC_META.to_dict()
