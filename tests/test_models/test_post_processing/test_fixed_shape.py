"""The exportable post-processing: the hand-built case's known map, the
NumPy loop reference on random inputs, and equality with the eager form
(maps and scores) on larger inputs with near-ties and a full top_k."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmpdl.models.post_processing import get_panoptic_segmentation
from mmpdl.models.post_processing.fixed_shape import (norm_like_torch,
                                                      panoptic_fixed_shape)
from .numpy_reference import reference_panoptic
from .test_panoptic_post_processing import (META, THINGS, _hand_built,
                                            _random_case)

IS_THING = torch.zeros(19, dtype=torch.bool)
IS_THING[THINGS] = True


def _slots_to_sorted(out):
    """(ids, labels, scores, scores_sem_x_ctr) of the filled slots, sorted
    by panoptic id."""
    ids = out['instance_ids']
    keep = torch.nonzero(ids).squeeze(1)
    keep = keep[ids[keep].argsort()]
    return (ids[keep], out['labels'][keep], out['scores'][keep],
            out['scores_sem_x_ctr'][keep])


def test_hand_built_map():
    probs, heat, offset, sem = _hand_built()
    logits = probs[0].log()
    logits[sem, torch.arange(20)[:, None], torch.arange(30)] += 10  # argmax
    out = panoptic_fixed_shape(
        logits, heat[0, 0], offset[0], IS_THING, **META, stuff_area=10)
    expected = torch.full((20, 30), 0)
    expected[15:17, 25:27] = 255000
    expected[5:13, 2:10] = 13001
    expected[5:13, 10:18] = 13002  # truck pixels join the car majority
    expected[5:13, 22:26] = 11001
    assert torch.equal(out['panoptic'], expected)
    ids, labels, _, _ = _slots_to_sorted(out)
    assert ids.tolist() == [11001, 13001, 13002]
    assert labels.tolist() == [11, 13, 13]
    assert (out['instance_ids'][3:] == 0).all()  # empty slots


@pytest.mark.parametrize('seed', range(4))
def test_equals_numpy_loop_reference(seed):
    rng = np.random.default_rng(seed)
    probs, heat, offset = _random_case(rng)
    logits = probs.log()
    top_k = 4 if seed % 2 else 200
    out = panoptic_fixed_shape(
        logits, heat[0], offset, IS_THING, **META, stuff_area=6, top_k=top_k)
    softmax = F.softmax(logits, 0)
    sem = logits.argmax(0).numpy()
    pan, scores = reference_panoptic(softmax.numpy(), heat[0].numpy(),
                                     offset.numpy(), sem, THINGS, 1000, 6, 0.1,
                                     7, top_k)
    np.testing.assert_array_equal(out['panoptic'].numpy(), pan)
    ids, _, sem_score, ctr_score = _slots_to_sorted(out)
    assert ids.tolist() == sorted(scores)
    expected = np.array([scores[k] for k in sorted(scores)]).reshape(-1, 2)
    np.testing.assert_allclose(sem_score.numpy(), expected[:, 0], rtol=1e-5)
    np.testing.assert_allclose(ctr_score.numpy(), expected[:, 1], rtol=1e-5)


def _smooth_case(seed, height, width, heat_scale=0.6):
    """Piecewise-smooth logits, a heatmap with many peaks, offsets on a
    quarter-pixel grid (many exact and near distance ties)."""
    gen = torch.Generator().manual_seed(seed)

    def smooth(channels, step):
        coarse = torch.randn(
            1, channels, height // step + 2, width // step + 2, generator=gen)
        return F.interpolate(coarse, (height, width), mode='bilinear')[0]

    logits = smooth(19, 8) * 3
    center = smooth(1, 4)[0].abs() * heat_scale
    offset = torch.randint(-80, 81, (2, height, width), generator=gen) / 4
    return logits, center, offset


@pytest.mark.parametrize('seed,top_k,heat_scale', [(0, 200, 0.6), (1, 50, 0.6),
                                                   (2, 200, 0.05)])
def test_equals_eager_form(seed, top_k, heat_scale):
    logits, center, offset = _smooth_case(seed, 97, 161, heat_scale)
    eager = get_panoptic_segmentation(
        F.softmax(logits, 0)[None],
        center[None, None],
        offset[None],
        THINGS,
        **META,
        stuff_area=64,
        top_k=top_k,
        sem_seg=logits.argmax(0)[None])[0]
    out = panoptic_fixed_shape(
        logits, center, offset, IS_THING, **META, stuff_area=64, top_k=top_k)
    assert torch.equal(out['panoptic'], eager['panoptic'])
    ins = eager['instances']
    ids, labels, scores, ctr_scores = _slots_to_sorted(out)
    assert torch.equal(ids, ins.instance_ids)
    assert torch.equal(labels, ins.labels)
    assert torch.equal(scores, ins.scores)
    assert torch.equal(ctr_scores, ins.scores_sem_x_ctr)
    if heat_scale > 0.1:
        assert len(ins) >= min(top_k - 1, 30)  # the case has instances


def test_norm_like_torch_rounds_as_torch_norm():
    """Bit equality on 10^6 random vectors of several magnitudes: the
    ranking of near-tied centers depends on it."""
    gen = torch.Generator().manual_seed(0)
    for scale in (1e-3, 1.0, 300.0):
        vec = torch.randn(1000, 1000, 2, generator=gen) * scale
        assert torch.equal(
            norm_like_torch(vec[..., 0], vec[..., 1]), torch.norm(vec, dim=-1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_gives_the_cpu_result():
    logits, center, offset = _smooth_case(0, 97, 161)
    cpu = panoptic_fixed_shape(
        logits, center, offset, IS_THING, **META, stuff_area=64)
    gpu = panoptic_fixed_shape(
        logits.cuda(),
        center.cuda(),
        offset.cuda(),
        IS_THING.cuda(),
        **META,
        stuff_area=64)
    for key in ('panoptic', 'sem_seg', 'instance_ids', 'labels'):
        assert torch.equal(gpu[key].cpu(), cpu[key]), key
    for key in ('scores', 'scores_sem_x_ctr'):  # atomic sums: any order
        torch.testing.assert_close(gpu[key].cpu(), cpu[key], rtol=0, atol=1e-6)
