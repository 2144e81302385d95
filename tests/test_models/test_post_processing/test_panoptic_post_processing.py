"""Post-processing: a hand-built case with a known answer, and equality
with a loop-by-loop NumPy implementation on random inputs."""
import numpy as np
import pytest
import torch

from mmpdl.models.post_processing import (find_instance_centers,
                                          get_panoptic_segmentation)
from .numpy_reference import reference_panoptic

THINGS = list(range(11, 19))
#: the Cityscapes encoding: panoptic id = class * 1000 + k, void class 255
META = dict(label_divisor=1000, ignore_index=255)
ROAD, SIDEWALK, PERSON, CAR, TRUCK = 0, 1, 11, 13, 14


def _hand_built():
    """20x30 image: road; a 2x2 sidewalk patch (below stuff_area=10); two
    touching cars (cols 2-9 and 10-17, rows 5-12), car B with three truck
    pixels; a person (rows 5-12, cols 22-25). Offsets point every thing
    pixel to its own center. Extra heatmap peaks: one below the threshold,
    two inside one 7x7 window (only the higher survives)."""
    h, w = 20, 30
    sem = torch.full((h, w), ROAD)
    sem[15:17, 25:27] = SIDEWALK
    sem[5:13, 2:10] = CAR
    sem[5:13, 10:18] = CAR
    sem[6, 11:14] = TRUCK
    sem[5:13, 22:26] = PERSON
    probs = torch.full((19, h, w), 0.01)
    probs[sem, torch.arange(h)[:, None], torch.arange(w)] = 0.5
    probs[CAR, 5:13, 2:10] = 0.8
    probs[CAR, 5:13, 10:18] = 0.6
    probs[PERSON, 5:13, 22:26] = 0.9
    probs[CAR, 6, 11:14] = 0.01  # the truck pixels
    heat = torch.zeros(1, 1, h, w)
    centers = {
        (8, 5): 0.9,
        (8, 13): 0.8,
        (8, 23): 0.7,
        (2, 28): 0.05,
        (15, 5): 0.5,
        (16, 7): 0.3
    }
    for (y, x), v in centers.items():
        heat[0, 0, y, x] = v
    offset = torch.zeros(1, 2, h, w)
    for (cy, cx), cols in (((8, 5), slice(2, 10)), ((8, 13), slice(10, 18)),
                           ((8, 23), slice(22, 26))):
        ys, xs = torch.meshgrid(
            torch.arange(5, 13), torch.arange(w)[cols], indexing='ij')
        offset[0, 0, 5:13, cols] = cy - ys
        offset[0, 1, 5:13, cols] = cx - xs
    return probs[None], heat, offset, sem


def test_hand_built_case():
    probs, heat, offset, sem = _hand_built()
    out = get_panoptic_segmentation(
        probs, heat, offset, THINGS, **META, stuff_area=10,
        sem_seg=sem[None])[0]
    pan = out['panoptic']
    assert out['centers'].tolist() == [[8, 5], [8, 13], [8, 23], [15, 5]]
    expected = torch.full((20, 30), 0)
    expected[15:17, 25:27] = 255000
    expected[5:13, 2:10] = 13001
    expected[5:13, 10:18] = 13002  # truck pixels join the car majority
    expected[5:13, 22:26] = 11001
    assert torch.equal(pan, expected)
    ins = out['instances']
    assert ins.instance_ids.tolist() == [11001, 13001, 13002]
    assert ins.labels.tolist() == [PERSON, CAR, CAR]
    assert ins.masks.shape == (3, 20, 30)
    assert ins.masks.sum((1, 2)).tolist() == [32, 64, 64]
    # car B: 61 pixels at 0.6 and the 3 truck pixels at 0.01 (car prob)
    car_b = (61 * 0.6 + 3 * 0.01) / 64
    assert ins.scores.tolist() == pytest.approx([0.9, 0.8, car_b])
    # centroids: person (8.5, 23.5) -> heat[8, 23]; cars -> (8, 5), (8, 13)
    assert ins.scores_sem_x_ctr.tolist() == pytest.approx(
        [0.9 * 0.7, 0.8 * 0.9, car_b * 0.8])


def test_top_k_keeps_strictly_above_kth_score():
    heat = torch.zeros(1, 1, 9, 30)
    for i, v in enumerate([0.9, 0.8, 0.7, 0.6]):
        heat[0, 0, 4, 2 + 8 * i] = v
    assert len(find_instance_centers(heat, 0.1, 7, top_k=5)[0]) == 4
    # 4 candidates >= top_k=3: keep scores > 0.7 (the 3rd largest)
    kept = find_instance_centers(heat, 0.1, 7, top_k=3)[0]
    assert kept.tolist() == [[4, 2], [4, 10]]


def test_no_centers_leaves_things_void():
    probs, heat, offset, sem = _hand_built()
    out = get_panoptic_segmentation(
        probs,
        heat * 0,
        offset,
        THINGS,
        **META,
        stuff_area=10,
        sem_seg=sem[None])[0]
    assert (out['panoptic'][5:13, 2:10] == 255000).all()
    assert len(out['instances']) == 0


def _random_case(rng, h=17, w=23):
    probs = torch.from_numpy(rng.dirichlet(np.ones(19) * 0.3,
                                           (h, w))).permute(2, 0, 1).float()
    probs[11:] *= 3  # more thing pixels
    probs /= probs.sum(0, keepdim=True)
    heat = torch.from_numpy(rng.random((1, h, w))**3).float()
    offset = torch.from_numpy(rng.integers(-24, 25, (2, h, w)) / 4).float()
    return probs, heat, offset


@pytest.mark.parametrize('seed', range(6))
def test_equals_numpy_loop_reference(seed):
    rng = np.random.default_rng(seed)
    cases = [_random_case(rng) for _ in range(2)]
    probs = torch.stack([c[0] for c in cases])
    heat = torch.stack([c[1] for c in cases])
    offset = torch.stack([c[2] for c in cases])
    top_k = 4 if seed % 2 else 200
    outs = get_panoptic_segmentation(
        probs, heat, offset, THINGS, **META, stuff_area=6, top_k=top_k)
    for i, out in enumerate(outs):
        sem = probs[i].argmax(0).numpy()
        pan, scores = reference_panoptic(probs[i].numpy(), heat[i, 0].numpy(),
                                         offset[i].numpy(), sem, THINGS, 1000,
                                         6, 0.1, 7, top_k)
        np.testing.assert_array_equal(out['panoptic'].numpy(), pan)
        ins = out['instances']
        assert ins.instance_ids.tolist() == sorted(scores)
        expected = np.array([scores[k] for k in sorted(scores)]).reshape(-1, 2)
        np.testing.assert_allclose(
            ins.scores.numpy(), expected[:, 0], rtol=1e-5)
        np.testing.assert_allclose(
            ins.scores_sem_x_ctr.numpy(), expected[:, 1], rtol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cpu_and_cuda_give_identical_maps():
    rng = np.random.default_rng(0)
    probs, heat, offset = (t[None] for t in _random_case(rng, 65, 97))
    cpu = get_panoptic_segmentation(
        probs, heat, offset, THINGS, **META, stuff_area=6)
    gpu = get_panoptic_segmentation(
        probs.cuda(), heat.cuda(), offset.cuda(), THINGS, **META, stuff_area=6)
    assert torch.equal(cpu[0]['panoptic'], gpu[0]['panoptic'].cpu())


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match='center_heatmap'):
        get_panoptic_segmentation(
            torch.zeros(1, 19, 8, 8), torch.zeros(1, 2, 8, 8),
            torch.zeros(1, 2, 8, 8), THINGS, **META)
