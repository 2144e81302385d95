"""GeneratePanopticTargets on a hand-built scene with known answers."""
import math

import numpy as np
import pytest

from mmpdl.datasets import CITYSCAPES_PANOPTIC_META
from mmpdl.datasets.transforms import GeneratePanopticTargets

DIV = 1000
VOID = 255 * DIV
ROAD, CAR, PERSON = 0, 13, 11


def _scene():
    """40x60: road everywhere; car 1 rows 4-13 x cols 6-25 (200 px); car 2
    rows 20-29 x cols 30-49 (200 px); a 2x3 person at rows 30-31 x cols 2-4
    (6 px, small); a crowd car region rows 34-37 x cols 40-49; void rows
    0-1."""
    pan = np.full((40, 60), ROAD * DIV, np.int64)
    pan[4:14, 6:26] = CAR * DIV + 1
    pan[20:30, 30:50] = CAR * DIV + 2
    pan[30:32, 2:5] = PERSON * DIV + 1
    pan[34:38, 40:50] = CAR * DIV  # crowd: thing class, instance 0
    pan[0:2] = VOID
    sem = (pan // DIV).astype(np.uint8)
    return dict(
        gt_panoptic_seg=pan,
        gt_seg_map=sem,
        # things 11-18, divisor 1000, ignore 255
        panoptic_meta=CITYSCAPES_PANOPTIC_META)


@pytest.fixture
def targets():
    transform = GeneratePanopticTargets(
        sigma=2, small_instance_area=100, small_instance_weight=3.0)
    return transform(_scene())


def test_center_heatmap_peaks_at_centroids(targets):
    heat = targets['gt_center'][0]
    assert heat.shape == (40, 60) and heat.dtype == np.float32
    # car 1 centroid: (8.5, 15.5) -> peak at (int 8, int 15)
    assert heat[8, 15] == pytest.approx(1.0)
    # one pixel away from the peak: exp(-1 / (2 sigma^2)), sigma = 2
    assert heat[8, 16] == pytest.approx(math.exp(-1 / 8))
    assert heat[9, 15] == pytest.approx(math.exp(-1 / 8))
    # two pixels away diagonally: exp(-8 / 8)
    assert heat[10, 17] == pytest.approx(math.exp(-1))
    assert heat[24, 39] == pytest.approx(1.0)  # car 2: (24.5, 39.5)
    assert heat[30, 3] == pytest.approx(1.0)  # person: (30.5, 3.0)
    # the original also splats crowd regions (weight 0 there): (35.5, 44.5)
    assert heat[35, 44] == pytest.approx(1.0)
    # far from every object
    assert heat[2, 58] == 0.0


def test_offsets_point_to_centroid(targets):
    off = targets['gt_offset']
    assert off.shape == (2, 40, 60)
    # top-left pixel of car 1 (4, 6) -> centroid (8.5, 15.5)
    assert off[:, 4, 6].tolist() == [4.5, 9.5]
    assert off[:, 13, 25].tolist() == [-4.5, -9.5]
    assert off[:, 31, 4].tolist() == [-0.5, -1.0]
    # stuff and void have no offset
    assert off[:, 15, 5].tolist() == [0.0, 0.0]
    assert off[:, 0, 0].tolist() == [0.0, 0.0]


def test_weight_maps(targets):
    sem_w = targets['gt_sem_weights']
    ctr_w = targets['gt_center_weights']
    off_w = targets['gt_offset_weights']
    # small instances (< 100 px): the person and (as in the original) the
    # 40 px crowd region; cars have 200 px
    assert sem_w[30, 2] == 3.0 and sem_w[35, 45] == 3.0
    assert sem_w[5, 10] == 1.0 and sem_w[15, 5] == 1.0
    # center weights: every labelled non-crowd segment
    assert ctr_w[15, 5] == 1.0 and ctr_w[5, 10] == 1.0
    assert ctr_w[0, 0] == 0.0 and ctr_w[35, 45] == 0.0
    # offset weights: non-crowd things only (stuff ignored in offset)
    assert off_w[5, 10] == 1.0 and off_w[30, 3] == 1.0
    assert off_w[15, 5] == 0.0 and off_w[35, 45] == 0.0 and off_w[0, 0] == 0
    # semantic labels are kept, crowd included
    assert targets['gt_seg_map'][35, 45] == CAR


def test_options_change_the_weights():
    transform = GeneratePanopticTargets(
        sigma=2, ignore_stuff_in_offset=False, ignore_crowd_in_semantic=True)
    out = transform(_scene())
    assert out['gt_offset_weights'][15, 5] == 1.0
    assert out['gt_seg_map'][35, 45] == 255
