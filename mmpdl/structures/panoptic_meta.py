"""``PanopticMetaInfo``: the one type of a panoptic dataset's class metadata.

A dataset makes it from its ``METAINFO``, a COCO-panoptic JSON's
``categories`` or the config's ``metainfo``; every stage downstream takes it
(transforms, the packer, target stacking, the post-processor, metrics, the
visualizer, inference, ONNX export). Where mmengine carries metadata as a
dict (``dataset.metainfo``, ``metric.dataset_meta``, a checkpoint's
``meta['dataset_meta']``, the ONNX metadata) the dict is
:meth:`PanopticMetaInfo.to_dict` and is read back with
:meth:`PanopticMetaInfo.of`, which validates it once.
"""
import colorsys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

#: Panoptic ids are ``train_id * LABEL_DIVISOR + instance``.
LABEL_DIVISOR = 1000
#: The train id of void pixels.
IGNORE_INDEX = 255
#: The metadata a panoptic dataset must give (palette, divisor and ignore
#: index have defaults).
REQUIRED_KEYS = ('classes', 'thing_ids', 'label_ids')
#: The key under which a data info / data sample carries the metadata.
SAMPLE_KEY = 'panoptic_meta'


def default_palette(num: int) -> List[List[int]]:
    """``num`` distinct RGB colours, the same for every call.

    Hues step by the golden ratio (neighbouring train ids get far-apart
    hues); saturation and value alternate between three levels.

    Args:
        num (int): Number of colours.

    Returns:
        list[list[int]]: (num, 3) RGB in [0, 255].
    """
    golden = 0.618033988749895
    palette = []
    for i in range(num):
        hue = (0.1 + i * golden) % 1.0
        sat, val = ((0.65, 0.95), (0.9, 0.75), (0.45, 0.85))[i % 3]
        palette.append(
            [int(round(255 * c)) for c in colorsys.hsv_to_rgb(hue, sat, val)])
    return palette


def _ints(values, what: str, source: str) -> Tuple[int, ...]:
    try:
        out = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f'{source}: {what} must be a list of integers, got '
                         f'{values!r:.80}') from None
    if any(int(v) != v for v in values):
        raise ValueError(f'{source}: {what} must be integers, got '
                         f'{list(values)!r:.80}')
    return out


@dataclass(frozen=True)
class PanopticMetaInfo:
    """The classes of a panoptic dataset and how its ids are encoded.

    Args:
        classes (Sequence[str]): Class name of each train id ``0..C-1``.
        thing_ids (Sequence[int]): Train ids of thing classes.
        label_ids (Sequence[int]): The annotation files' category id of
            each train id (``C`` ids).
        palette (Sequence[Sequence[int]]): RGB colour per train id;
            :func:`default_palette` when empty.
        label_divisor (int): Panoptic id = ``train_id * label_divisor +
            instance``.
        ignore_index (int): Train id of void; must be ``>= C``.
        source (str): Where the metadata came from, named in errors.

    Raises:
        ValueError: The fields disagree (counts, ranges, repeats); the
            message names ``source``, the field and the values.
    """

    classes: Tuple[str, ...]
    thing_ids: Tuple[int, ...]
    label_ids: Tuple[int, ...]
    palette: Tuple[Tuple[int, int, int], ...] = ()
    label_divisor: int = LABEL_DIVISOR
    ignore_index: int = IGNORE_INDEX
    source: str = field(default='dataset metadata', compare=False)

    def __post_init__(self):
        src = self.source
        if isinstance(self.classes, str) or not len(self.classes):
            raise ValueError(f'{src}: classes must be a non-empty list of '
                             f'names, got {self.classes!r:.80}')
        classes = tuple(str(c) for c in self.classes)
        num = len(classes)
        palette = self.palette if len(self.palette) else default_palette(num)
        palette = tuple(_ints(c, 'palette', src) for c in palette)
        set_ = object.__setattr__
        set_(self, 'classes', classes)
        set_(self, 'thing_ids', _ints(self.thing_ids, 'thing_ids', src))
        set_(self, 'label_ids', _ints(self.label_ids, 'label_ids', src))
        set_(self, 'palette', palette)
        set_(self, 'label_divisor', int(self.label_divisor))
        set_(self, 'ignore_index', int(self.ignore_index))
        problems = self._problems()
        if problems:
            raise ValueError(f'{src}: ' + '; '.join(problems))

    def _problems(self) -> List[str]:
        """What keeps the fields from describing one class list."""
        num, problems = len(self.classes), []
        for name, values in (('label_ids', self.label_ids), ('palette',
                                                             self.palette)):
            if len(values) != num:
                problems.append(f'{num} classes but {len(values)} {name} '
                                '(one per train id)')
        bad = [i for i in self.thing_ids if not 0 <= i < num]
        if bad:
            problems.append(f'thing_ids {bad} are not train ids in '
                            f'[0, {num})')
        for name, values in (('thing_ids', self.thing_ids),
                             ('label_ids', self.label_ids), ('classes',
                                                             self.classes)):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                problems.append(f'{name} {repeated} occur more than once')
        if any(
                len(c) != 3 or not all(0 <= v <= 255 for v in c)
                for c in self.palette):
            problems.append('palette colours must be [R, G, B] in 0-255')
        if self.ignore_index < num:
            problems.append(
                f'train ids 0-{num - 1} reach the ignore_index '
                f'{self.ignore_index}: give an ignore_index >= {num}')
        if self.label_divisor < 1:
            problems.append(f'label_divisor {self.label_divisor} < 1')
        return problems

    @property
    def num_classes(self) -> int:
        """Number of train ids ``C``."""
        return len(self.classes)

    @property
    def stuff_ids(self) -> Tuple[int, ...]:
        """Train ids that are not things, ascending."""
        things = set(self.thing_ids)
        return tuple(i for i in range(self.num_classes) if i not in things)

    def to_dict(self) -> Dict[str, Any]:
        """Plain data (a tuple of class names as mmseg keeps them; lists,
        ints) for ``dataset.metainfo``, a
        checkpoint's ``meta['dataset_meta']`` or the ONNX metadata; with
        the derived ``stuff_ids``."""
        return dict(
            classes=tuple(self.classes),
            thing_ids=list(self.thing_ids),
            stuff_ids=list(self.stuff_ids),
            label_ids=list(self.label_ids),
            palette=[list(c) for c in self.palette],
            label_divisor=self.label_divisor,
            ignore_index=self.ignore_index)

    @classmethod
    def from_dict(cls,
                  meta: Mapping,
                  source: str = 'dataset metadata') -> 'PanopticMetaInfo':
        """The metadata of a dict such as ``dataset.metainfo`` (other keys
        are ignored; a ``stuff_ids`` must be the derived one).

        Raises:
            KeyError: A key of :data:`REQUIRED_KEYS` is missing.
            ValueError: The values disagree (see the class).
        """
        missing = [key for key in REQUIRED_KEYS if meta.get(key) is None]
        if missing:
            raise KeyError(
                f'{source} lacks {missing}: a panoptic dataset gives '
                f'{list(REQUIRED_KEYS)} (and optionally palette, '
                'label_divisor, ignore_index); see docs/custom_dataset.md')
        info = cls(
            classes=meta['classes'],
            thing_ids=meta['thing_ids'],
            label_ids=meta['label_ids'],
            palette=meta.get('palette') or (),
            label_divisor=meta.get('label_divisor', LABEL_DIVISOR),
            ignore_index=meta.get('ignore_index', IGNORE_INDEX),
            source=source)
        stuff = meta.get('stuff_ids')
        if stuff is not None and tuple(sorted(stuff)) != info.stuff_ids:
            raise ValueError(
                f'{source}: stuff_ids {list(stuff)} are not the classes '
                f'outside thing_ids {list(info.stuff_ids)}; leave stuff_ids '
                'out, they are derived')
        return info

    @classmethod
    def of(cls, meta: Optional[Any], source: str) -> 'PanopticMetaInfo':
        """The metadata given as a ``PanopticMetaInfo`` or as its dict.

        Args:
            meta (PanopticMetaInfo | Mapping | None): What a component was
                given (a sample's ``panoptic_meta``, ``dataset_meta``).
            source (str): Who needs it, for the error when it is missing.

        Raises:
            KeyError: ``meta`` is None or lacks required keys.
        """
        if isinstance(meta, cls):
            return meta
        if meta is None:
            raise KeyError(
                f'{source} needs the dataset\'s panoptic metadata and has '
                'none: load samples through a panoptic dataset (it puts '
                f'{SAMPLE_KEY!r} into every sample), evaluate through the '
                "Runner (it sets dataset_meta to the dataset's metainfo), "
                'or set it from a checkpoint\'s meta["dataset_meta"]')
        return cls.from_dict(meta, source)

    def check_num_classes(self, num_classes: int, what: str) -> None:
        """Raise unless ``num_classes`` (of ``what``, e.g. the network) is
        the class count."""
        if num_classes != self.num_classes:
            raise ValueError(
                f'{what} has {num_classes} classes but {self.source} lists '
                f'{self.num_classes} ({list(self.classes)[:8]}'
                f'{" ..." if self.num_classes > 8 else ""}); set the head\'s '
                'num_classes to the dataset\'s class count')

    def train_id_of_category(self) -> Dict[int, int]:
        """Category id of the annotation files -> train id."""
        return {cat: i for i, cat in enumerate(self.label_ids)}
