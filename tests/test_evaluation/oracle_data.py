"""Tiny ground truth in the official Cityscapes layout + perturbed predictions.

Ground truth is drawn as ``*_gtFine_labelIds.png`` / ``*_instanceIds.png``
and converted with cityscapesscripts' ``convert2panoptic``, so the official
evaluators can read it. Predictions perturb the ground truth in the ways the
metrics must handle: dropped, merged, shifted and wrongly classified
instances, predictions on void and crowd, duplicates, an image without
things, an all-void prediction, a prediction without instances and a class
that is absent from ground truth.
"""
import os
import os.path as osp

import numpy as np
import torch
from cityscapesscripts.helpers.labels import id2label, name2label
from cityscapesscripts.preparation.createPanopticImgs import convert2panoptic
from PIL import Image

CITY = 'testcity'
LID = {name: name2label[name].id for name in name2label}
THING_NAMES = ('person', 'rider', 'car', 'truck', 'bicycle', 'motorcycle',
               'bus')


def draw_instance_ids(rng, height, width, with_things=True):
    """One ``instanceIds`` map: stuff bands, void, things, groups."""
    ids = np.full((height, width), LID['road'], dtype=np.int64)
    ids[:height // 4] = LID['sky']
    ids[height // 4:height // 2] = LID['building']
    ids[height // 4:height // 2, :width // 5] = LID['vegetation']
    ids[height // 2:height // 2 + 10, width // 2:] = LID['sidewalk']
    ids[height // 3:height // 2, width - 20:width - 10] = LID['pole']
    ids[-8:] = LID['ego vehicle']  # void
    ids[height // 2:height // 2 + 12, 10:40] = LID['static']  # void
    if not with_things:
        return ids
    next_k = {}
    for _ in range(int(rng.integers(5, 9))):
        name = THING_NAMES[int(rng.integers(len(THING_NAMES)))]
        h, w = int(rng.integers(12, 40)), int(rng.integers(12, 50))
        y = int(rng.integers(0, height - h))
        x = int(rng.integers(0, width - w))
        k = next_k.get(name, 0)
        next_k[name] = k + 1
        ids[y:y + h, x:x + w] = LID[name] * 1000 + k
    # a tiny instance (< 100 px) and two crowd groups
    ids[5:12, 5:13] = LID['person'] * 1000 + next_k.get('person', 0)
    ids[height // 2 + 20:height // 2 + 40, 60:110] = LID['car']
    ids[height // 2 + 2:height // 2 + 14, 120:150] = LID['person']
    return ids


def instance_ids_to_panoptic(ids):
    """``train_id * 1000 + k`` encoding (k = Cityscapes index + 1)."""
    out = np.full(ids.shape, 255000, dtype=np.int64)
    for value in np.unique(ids):
        label = id2label[int(value // 1000 if value >= 1000 else value)]
        if label.ignoreInEval:
            continue
        k = value % 1000 + 1 if value >= 1000 else 0
        out[ids == value] = label.trainId * 1000 + k
    return out


def write_ground_truth(root, instance_maps):
    """Write labelIds/instanceIds PNGs and the panoptic JSON + PNGs."""
    gt_dir = osp.join(root, 'gtFine')
    city_dir = osp.join(gt_dir, 'val', CITY)
    os.makedirs(city_dir, exist_ok=True)
    names = []
    for i, ids in enumerate(instance_maps):
        name = f'{CITY}_000000_{i:06d}'
        label_ids = np.where(ids >= 1000, ids // 1000, ids)
        Image.fromarray(label_ids.astype(np.uint8)).save(
            osp.join(city_dir, f'{name}_gtFine_labelIds.png'))
        Image.fromarray(ids.astype(np.uint16)).save(
            osp.join(city_dir, f'{name}_gtFine_instanceIds.png'))
        names.append(name)
    convert2panoptic(
        cityscapesPath=gt_dir, outputFolder=gt_dir, setNames=['val'])
    return names


def _shift(mask, dy, dx):
    return np.roll(np.roll(mask, dy, axis=0), dx, axis=1)


def perturb(gt, index, rng):
    """A predicted panoptic map from the ground truth (train encoding)."""
    pred = gt.copy()
    pred[pred == 255000] = 0  # void pixels get predicted as road
    things = [v for v in np.unique(gt) if 11 <= v // 1000 < 19 and v % 1000]
    if index == 0 and len(things) >= 4:
        pred[gt == things[0]] = 0  # dropped instance
        pred[gt == things[1]] = things[2]  # merged into another
        wrong = 11 + (things[3] // 1000 - 10) % 8  # wrong class
        pred[gt == things[3]] = wrong * 1000 + 1
    elif index == 1:
        car = 13 * 1000 + 900
        pred[-10:, 50:90] = car  # mostly on void (ego vehicle)
        pred[gt == 13000] = car + 1  # on the car crowd region
        pred[gt == 11000] = 12000 + 901  # on person crowd, wrong class
        for v in things[:3]:
            pred[pred == v] = 0
            pred[_shift(gt == v, 3, 5)] = v  # shifted masks
    elif index == 2:
        pred[20:40, 30:70] = 16 * 1000 + 1  # 'train' is absent from GT
    elif index == 3:
        pred[:] = 255000  # all void
    elif index == 4:
        pred[pred // 1000 >= 11] = 1000  # no things: sidewalk
    else:
        for v in things:
            if rng.random() < 0.5:
                pred[pred == v] = 0
                pred[_shift(gt == v, int(rng.integers(-6, 7)),
                            int(rng.integers(-6, 7)))] = v
    return pred


def instances_from_panoptic(pred, index, rng):
    """Masks, labels and two scores of the thing segments, plus extras."""
    values = [v for v in np.unique(pred) if 11 <= v // 1000 < 19]
    masks = [pred == v for v in values]
    labels = [v // 1000 for v in values]
    if index == 5 and masks:
        masks.append(_shift(masks[0], 1, 1))  # duplicate detection
        labels.append(labels[0])
        small = np.zeros_like(masks[0])
        small[50:55, 200:210] = True  # tiny false positive
        masks.append(small)
        labels.append(13)
        masks.append(np.zeros_like(masks[0]))  # empty mask: skipped
        labels.append(11)
    if index in (3, 4):
        masks, labels = [], []
    scores = rng.random(len(masks)).round(2)  # ties on purpose
    scores2 = rng.random(len(masks))
    shape = (len(masks), ) + pred.shape
    return dict(
        masks=torch.from_numpy(np.array(masks, dtype=bool).reshape(shape)),
        labels=torch.tensor(labels, dtype=torch.long),
        scores=torch.tensor(scores, dtype=torch.float32),
        scores_sem_x_ctr=torch.tensor(scores2, dtype=torch.float32))


def make_samples(root, num_images=6, size=(128, 256), seed=0):
    """Write the ground truth; return (image names, data sample dicts)."""
    rng = np.random.default_rng(seed)
    maps = [
        draw_instance_ids(rng, *size, with_things=(i != 2))
        for i in range(num_images)
    ]
    names = write_ground_truth(root, maps)
    samples = []
    for i, (name, ids) in enumerate(zip(names, maps)):
        gt = instance_ids_to_panoptic(ids)
        pred = perturb(gt, i, rng)
        pred_sem = np.where(pred == 255000, 0, pred // 1000)
        if i == 5:
            pred_sem[:, :40] = 8  # some semantic noise
        samples.append(
            dict(
                img_path=osp.join(root, 'leftImg8bit', 'val', CITY,
                                  f'{name}_leftImg8bit.png'),
                ori_shape=size,
                gt_panoptic_seg=dict(data=torch.from_numpy(gt)[None]),
                gt_sem_seg=dict(
                    data=torch.from_numpy(
                        np.where(gt == 255000, 255, gt // 1000))[None]),
                pred_panoptic_seg=dict(data=torch.from_numpy(pred)[None]),
                pred_sem_seg=dict(data=torch.from_numpy(pred_sem)[None]),
                pred_instances=instances_from_panoptic(pred, i, rng)))
    return names, samples
