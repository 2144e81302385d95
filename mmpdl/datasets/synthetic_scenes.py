"""Synthetic street scenes: the drawing shared by the built-in datasets.

Each scene has sky, buildings with window textures, trees (vegetation),
road with lane marks and a tiled sidewalk (5 stuff classes), and cars, buses,
persons and bicycles (4 thing classes) drawn far-to-near so that instances of
one class touch and occlude each other. Things have class-specific shapes
(car: body + cabin + wheels; bus: long box with a window row; person: head,
torso, legs; bicycle: two rings and a frame) while their colours vary and
overlap between classes, and every pixel gets noise, so a pixel's colour alone
does not give its class. Some scenes have crowd regions (a group of persons or
cars labelled with the class id only), void pixels (``static`` blobs, an
ego-vehicle strip) and, by their size, many instances under 4096 pixels.
Everything is deterministic for a seed.

A scene's labels are Cityscapes label ids (:data:`SCENE_LABELS`) in
Cityscapes' instanceIds encoding; ``synthetic_cityscapes.py`` writes them as
Cityscapes files, ``synthetic_coco_panoptic.py`` maps them to its own
categories. Both generators share the manifest that makes re-running with
the same arguments a no-op (:func:`begin_generation`,
:func:`finish_generation`).
"""
import argparse
import json
import os
import os.path as osp
import shutil
from typing import Sequence, Tuple

import cv2
import numpy as np

MANIFEST = '.mmpdl_synthetic.json'
#: Seed offset of each split's scenes.
SPLIT_SEEDS = dict(train=0, val=500_000, test=900_000)
# Cityscapes label ids (cityscapesscripts.helpers.labels)
EGO, STATIC = 1, 4
ROAD, SIDEWALK, BUILDING, VEGETATION, SKY = 7, 8, 11, 21, 23
PERSON, CAR, BUS, BICYCLE = 24, 26, 28, 33
#: label ids a scene may hold: stuff, things and void
SCENE_LABELS = dict(
    stuff=(ROAD, SIDEWALK, BUILDING, VEGETATION, SKY),
    things=(PERSON, CAR, BUS, BICYCLE),
    void=(EGO, STATIC))
BODY_COLOURS = np.array([[200, 30, 30], [30, 60, 180], [230, 230, 230],
                         [150, 150, 155], [25, 25, 25], [40, 120, 60],
                         [220, 180, 40], [120, 70, 40]])


class _Canvas:
    """An RGB image and its Cityscapes instance-id map drawn together."""

    def __init__(self, height: int, width: int, rng: np.random.Generator):
        self.rgb = np.zeros((height, width, 3), np.float32)
        self.ids = np.zeros((height, width), np.int32)
        self.rng = rng
        self.counters = {}

    def new_instance(self, label: int, crowd: bool = False) -> int:
        """A fresh Cityscapes id for ``label`` (the bare label if crowd)."""
        if crowd:
            return label
        k = self.counters.get(label, 0)
        self.counters[label] = k + 1
        return label * 1000 + k

    def colour(self, base, jitter=25.0):
        """``base`` RGB jittered per object."""
        return np.clip(
            np.asarray(base, np.float32) + self.rng.normal(0, jitter, 3), 0,
            255)

    def rect(self, x0, y0, x1, y1, colour, seg_id=None):
        x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
        cv2.rectangle(self.rgb, (x0, y0), (x1, y1), colour.tolist(), -1)
        if seg_id is not None:
            cv2.rectangle(self.ids, (x0, y0), (x1, y1), int(seg_id), -1)

    def circle(self, cx, cy, r, colour, seg_id=None, thickness=-1):
        c, r = (int(round(cx)), int(round(cy))), max(1, int(round(r)))
        cv2.circle(self.rgb, c, r, colour.tolist(), thickness)
        if seg_id is not None:
            cv2.circle(self.ids, c, r, int(seg_id), thickness)

    def line(self, p, q, colour, seg_id, thickness):
        p = tuple(int(round(v)) for v in p)
        q = tuple(int(round(v)) for v in q)
        cv2.line(self.rgb, p, q, colour.tolist(), thickness)
        cv2.line(self.ids, p, q, int(seg_id), thickness)

    def ellipse(self, cx, cy, ax, ay, colour, seg_id=None):
        c = (int(round(cx)), int(round(cy)))
        axes = (max(1, int(round(ax))), max(1, int(round(ay))))
        cv2.ellipse(self.rgb, c, axes, 0, 0, 360, colour.tolist(), -1)
        if seg_id is not None:
            cv2.ellipse(self.ids, c, axes, 0, 0, 360, int(seg_id), -1)


def _draw_background(cv: _Canvas, horizon: int, sky_end: int):
    """Sky, buildings with windows, trees, road, sidewalk."""
    h, w = cv.ids.shape
    rng = cv.rng
    rows = np.linspace(0, 1, sky_end)[:, None, None]
    sky_top, sky_low = cv.colour([90, 140, 220]), cv.colour([180, 205, 235])
    cv.rgb[:sky_end] = sky_top * (1 - rows) + sky_low * rows
    cv.ids[:sky_end] = SKY
    cv.rect(0, sky_end, w - 1, horizon, cv.colour([130, 110, 100], 30),
            BUILDING)
    x = 0
    while x < w:  # facades of different colours and window grids
        fw = int(rng.integers(w // 10, w // 4))
        top = sky_end - int(rng.integers(0, max(2, sky_end // 2)))
        cv.rect(x, top, x + fw, horizon, cv.colour([140, 120, 110], 45),
                BUILDING)
        win = cv.colour([60, 70, 90], 15)
        step = max(4, h // 40)
        for wy in range(top + step, horizon - step, 2 * step):
            for wx in range(x + step, x + fw - step, 2 * step):
                cv.rect(wx, wy, wx + step - 1, wy + step - 1, win)
        x += fw
    for _ in range(int(rng.integers(1, 4))):  # trees
        cx = rng.uniform(0, w)
        ax, ay = rng.uniform(w / 30, w / 10), rng.uniform(h / 15, h / 6)
        cv.ellipse(cx, horizon - ay * 0.6, ax, ay, cv.colour([50, 110, 40]),
                   VEGETATION)
    cv.rect(0, horizon, w - 1, h - 1, cv.colour([75, 75, 80], 10), ROAD)
    side = rng.integers(2)
    near, far = rng.uniform(0.18, 0.3) * w, rng.uniform(0.03, 0.08) * w
    xs = [0, far, near, 0] if side == 0 else [w, w - far, w - near, w]
    poly = np.array(
        [[xs[0], horizon], [xs[1], horizon], [xs[2], h], [xs[3], h]], np.int32)
    cv2.fillPoly(cv.rgb, [poly], cv.colour([175, 165, 150], 15).tolist())
    cv2.fillPoly(cv.ids, [poly], SIDEWALK)
    tile = np.zeros_like(cv.ids, bool)
    step = max(4, h // 32)
    tile[::step, :] = True
    tile[:, ::step] = True
    cv.rgb[tile & (cv.ids == SIDEWALK)] *= 0.8
    lane_x = w / 2 + rng.uniform(-w / 10, w / 10)
    for y0 in range(horizon + 4, h, max(6, h // 16)):
        dash = max(2, h // 40)
        half = 1 + (y0 - horizon) * 3 // max(1, h - horizon)
        cv.rect(lane_x - half, y0, lane_x + half, y0 + dash,
                cv.colour([230, 230, 210], 10))
    return side, near, far


def _draw_car(cv, x, y_bottom, size, seg_id):
    bw, bh = size * 2.0, size * 0.55
    body = cv.colour(BODY_COLOURS[cv.rng.integers(len(BODY_COLOURS))], 20)
    cv.rect(x, y_bottom - bh - size * 0.1, x + bw, y_bottom - size * 0.15,
            body, seg_id)
    cv.rect(x + bw * 0.22, y_bottom - bh - size * 0.45, x + bw * 0.75,
            y_bottom - bh - size * 0.1, body * 0.9, seg_id)
    cv.rect(x + bw * 0.28, y_bottom - bh - size * 0.38, x + bw * 0.69,
            y_bottom - bh - size * 0.14, cv.colour([50, 60, 75], 10))
    for wx in (x + bw * 0.2, x + bw * 0.8):
        cv.circle(wx, y_bottom - size * 0.18, size * 0.18,
                  cv.colour([20, 20, 20], 5), seg_id)


def _draw_bus(cv, x, y_bottom, size, seg_id):
    bw, bh = size * 4.5, size * 1.6
    body = cv.colour(BODY_COLOURS[cv.rng.integers(len(BODY_COLOURS))], 20)
    cv.rect(x, y_bottom - bh, x + bw, y_bottom - size * 0.12, body, seg_id)
    glass = cv.colour([40, 50, 70], 10)
    n = 6
    for i in range(n):
        wx = x + bw * (0.05 + i * 0.9 / n)
        cv.rect(wx, y_bottom - bh * 0.85, wx + bw * 0.1, y_bottom - bh * 0.5,
                glass)
    for wx in (x + bw * 0.12, x + bw * 0.85):
        cv.circle(wx, y_bottom - size * 0.15, size * 0.2,
                  cv.colour([20, 20, 20], 5), seg_id)


def _draw_person(cv, x, y_bottom, size, seg_id):
    height = size * 1.7
    width = height / 4.0
    cx = x + width / 2
    legs, torso = cv.colour([40, 40, 80], 40), cv.colour(
        BODY_COLOURS[cv.rng.integers(len(BODY_COLOURS))], 20)
    cv.rect(cx - width * 0.4, y_bottom - height * 0.45, cx + width * 0.4,
            y_bottom, legs, seg_id)
    cv.rect(cx - width * 0.5, y_bottom - height * 0.82, cx + width * 0.5,
            y_bottom - height * 0.45, torso, seg_id)
    cv.circle(cx, y_bottom - height * 0.9, width * 0.35,
              cv.colour([220, 180, 150], 20), seg_id)


def _draw_bicycle(cv, x, y_bottom, size, seg_id):
    r = size * 0.3
    frame = cv.colour(BODY_COLOURS[cv.rng.integers(len(BODY_COLOURS))], 20)
    thick = max(1, int(round(size / 12)))
    back, front = (x + r, y_bottom - r), (x + 3.2 * r, y_bottom - r)
    for cx, cy in (back, front):
        cv.circle(cx, cy, r, cv.colour([25, 25, 25], 5), seg_id, thick + 1)
    top = (x + 2.0 * r, y_bottom - 2.1 * r)
    for p, q in ((back, top), (top, front), (back, (x + 2 * r, y_bottom - r)),
                 ((x + 2 * r, y_bottom - r), top)):
        cv.line(p, q, frame, seg_id, thick)


DRAWERS = {
    CAR: _draw_car,
    BUS: _draw_bus,
    PERSON: _draw_person,
    BICYCLE: _draw_bicycle
}
WIDTH_FACTOR = {CAR: 2.0, BUS: 4.5, PERSON: 0.45, BICYCLE: 1.3}


def _place_things(cv, horizon, side, near, far):
    """Choose the objects of a scene and draw them far-to-near."""
    h, w = cv.ids.shape
    rng = cv.rng
    objects = []  # (y_bottom, label, x, size, crowd)

    def size_at(y):
        return (4 + 0.32 * (y - horizon)) * rng.uniform(0.85, 1.15)

    def on_sidewalk_x(y, width):
        t = (y - horizon) / max(1, h - horizon)
        edge = far + (near - far) * t
        if side == 0:
            return rng.uniform(0, max(1, edge - width))
        return rng.uniform(w - edge, max(w - edge + 1, w - width))

    for _ in range(int(rng.integers(1, 3))):  # rows of touching cars
        y = rng.uniform(horizon + 0.2 * (h - horizon), h - 2)
        x = rng.uniform(0, w * 0.5)
        for _ in range(int(rng.integers(1, 4))):
            s = size_at(y)
            objects.append((y, CAR, x, s, False))
            x += s * WIDTH_FACTOR[CAR] * rng.uniform(0.7, 1.05)
            y += rng.uniform(-3, 3)
    if rng.random() < 0.5:
        y = rng.uniform(horizon + 0.3 * (h - horizon), h - 2)
        objects.append((y, BUS, rng.uniform(0, w * 0.6), size_at(y), False))
    for _ in range(int(rng.integers(2, 6))):
        y = rng.uniform(horizon + 0.1 * (h - horizon), h - 2)
        s = size_at(y)
        label = PERSON if rng.random() < 0.65 else BICYCLE
        x = on_sidewalk_x(y, s * WIDTH_FACTOR[label])
        objects.append((y, label, x, s, False))
    if rng.random() < 0.35:  # a crowd: a tight group labelled as one region
        label = PERSON if rng.random() < 0.6 else CAR
        y = rng.uniform(horizon + 0.1 * (h - horizon),
                        horizon + 0.4 * (h - horizon))
        x = rng.uniform(0, w * 0.8)
        for i in range(int(rng.integers(3, 6))):
            s = size_at(y)
            objects.append((y + rng.uniform(-2, 2), label,
                            x + i * s * WIDTH_FACTOR[label] * 0.6, s, True))
    crowd_ids = {}
    for y, label, x, s, crowd in sorted(objects, key=lambda o: o[0]):
        if crowd:
            seg_id = crowd_ids.setdefault(label, label)
        else:
            seg_id = cv.new_instance(label)
        DRAWERS[label](cv, x, y, s, seg_id)


def _draw_void(cv):
    h, w = cv.ids.shape
    rng = cv.rng
    for _ in range(int(rng.integers(0, 3))):
        x, y = rng.uniform(0, w), rng.uniform(0.3 * h, h)
        # a blob is at least 3 px wide, also in images under 75 px
        cv.rect(x, y,
                x + rng.uniform(3, max(3, w / 25)), y + rng.uniform(3, h / 8),
                cv.colour([110, 100, 90], 30), STATIC)
    if rng.random() < 0.3:
        cv.rect(0, h - max(2, h // 20), w - 1, h - 1, cv.colour([30, 30, 30]),
                EGO)


def render_scene(height: int, width: int, seed: int):
    """One synthetic scene.

    Args:
        height (int): Image height.
        width (int): Image width.
        seed (int): Scene seed.

    Returns:
        tuple: ``rgb`` (H, W, 3) uint8 and ``instance_ids`` (H, W) int32 in
        Cityscapes' instanceIds encoding.
    """
    rng = np.random.default_rng(seed)
    cv = _Canvas(height, width, rng)
    horizon = int(height * rng.uniform(0.42, 0.55))
    sky_end = int(height * rng.uniform(0.12, 0.28))
    side, near, far = _draw_background(cv, horizon, sky_end)
    _place_things(cv, horizon, side, near, far)
    _draw_void(cv)
    light = rng.uniform(0.75, 1.2) * np.linspace(
        rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15), width)[None, :, None]
    noisy = cv.rgb * light + rng.normal(0, 12, cv.rgb.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8), cv.ids


def scene_seed(seed: int, split: str, index: int) -> int:
    """Seed of scene ``index`` of ``split`` in a dataset made with ``seed``."""
    return seed * 1_000_003 + SPLIT_SEEDS[split] + index


def begin_generation(out_dir: str, args: dict, subdirs: Sequence[str]) -> bool:
    """Prepare ``out_dir`` for a generator run with ``args``.

    Args:
        out_dir (str): Dataset root.
        args (dict): The generator's arguments (JSON-serialisable), stored
            in the manifest by :func:`finish_generation`.
        subdirs (Sequence[str]): Folders of ``out_dir`` the generator
            writes; removed (with the manifest) before a new run.

    Returns:
        bool: False when ``out_dir`` already holds a complete dataset made
        with ``args`` (nothing to do), True when the caller should write.
    """
    manifest = osp.join(out_dir, MANIFEST)
    if osp.isfile(manifest):
        with open(manifest) as f:
            if json.load(f) == args:
                return False
    elif osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(
            f'{out_dir!r} is not empty and holds no built-in dataset '
            f'(no {MANIFEST}); choose an empty or new folder.')
    if args['num_train'] < 1 or args['num_val'] < 1:
        raise ValueError('--train and --val need at least 1 image each, got '
                         f"{args['num_train']} and {args['num_val']}")
    for sub in subdirs:
        shutil.rmtree(osp.join(out_dir, sub), ignore_errors=True)
    if osp.exists(manifest):
        os.remove(manifest)
    return True


def finish_generation(out_dir: str, args: dict) -> None:
    """Mark ``out_dir`` as a complete dataset made with ``args``."""
    manifest = osp.join(out_dir, MANIFEST)
    with open(manifest + '.tmp', 'w') as f:
        json.dump(args, f)
    os.replace(manifest + '.tmp', manifest)


def generator_arg_parser(description: str, size: Tuple[int, int],
                         size_help: str) -> argparse.ArgumentParser:
    """The command line shared by the generator scripts: ``out_dir``,
    ``--train``, ``--val``, ``--size`` (default ``size``) and ``--seed``.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('out_dir', help='dataset root to write')
    parser.add_argument('--train', type=int, default=40, help='train images')
    parser.add_argument('--val', type=int, default=10, help='val images')
    parser.add_argument(
        '--size', type=parse_size, default=size, help=size_help)
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser


def parse_size(text: str) -> Tuple[int, int]:
    """The ``--size HxW`` argument of the generator scripts: ``(H, W)``, at
    least 32x32.

    Raises:
        argparse.ArgumentTypeError: Naming ``text`` and the expected form.
    """
    try:
        height, width = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--size must look like 256x512 (HxW), got {text!r}') from None
    if height < 32 or width < 32:
        raise argparse.ArgumentTypeError(
            f'--size must be at least 32x32, got {text!r}')
    return height, width
