"""Nearest-center grouping equals the original's ``torch.norm`` ranking,
ties and near-ties included, whatever the chunk size."""
import pytest
import torch

from mmpdl.models.post_processing import grouping
from mmpdl.models.post_processing.grouping import group_thing_pixels


def _norm_reference(centers, offsets, thing_mask):
    """The original's rule, written plainly: torch.norm over all centers,
    first center on ties, 1-based ids on thing pixels."""
    height, width = thing_mask.shape
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=offsets.dtype),
        torch.arange(width, dtype=offsets.dtype),
        indexing='ij')
    loc = torch.stack((ys + offsets[0], xs + offsets[1]), -1).view(1, -1, 2)
    ctr = centers.to(offsets.dtype).view(-1, 1, 2)
    nearest = torch.norm(ctr - loc, dim=-1).argmin(0).view(height, width)
    return torch.where(thing_mask, nearest + 1, torch.zeros_like(nearest))


def test_exact_tie_goes_to_the_first_center():
    centers = torch.tensor([[2, 0], [2, 4]])  # (y, x)
    offsets = torch.zeros(2, 5, 5)
    thing = torch.ones(5, 5, dtype=torch.bool)
    instance = group_thing_pixels(centers, offsets, thing)
    assert instance[:, 2].tolist() == [1] * 5  # equidistant column
    assert instance[:, 3].tolist() == [2] * 5
    assert torch.equal(instance, _norm_reference(centers, offsets, thing))


@pytest.mark.parametrize('pairs_per_chunk', [7, 1 << 19])
@pytest.mark.parametrize('seed', [0, 1])
def test_equals_norm_reference_with_near_ties(monkeypatch, pairs_per_chunk,
                                              seed):
    monkeypatch.setattr(grouping, 'CPU_PAIRS_PER_CHUNK', pairs_per_chunk)
    gen = torch.Generator().manual_seed(seed)
    height, width = 40, 60
    centers = torch.stack((torch.randint(0, height, (12, ), generator=gen),
                           torch.randint(0, width, (12, ), generator=gen)), 1)
    # offsets on a half-pixel grid: many pixels land exactly between two
    # centers, the rest within rounding error of a tie or far from one
    offsets = torch.randint(-6, 7, (2, height, width), generator=gen) / 2
    offsets += torch.randn(
        2, height, width, generator=gen) * 1e-6 * (
            torch.rand(2, height, width, generator=gen) < 0.3)
    thing = torch.rand(height, width, generator=gen) < 0.7
    instance = group_thing_pixels(centers, offsets, thing)
    assert torch.equal(instance, _norm_reference(centers, offsets, thing))
    assert (instance[~thing] == 0).all() and (instance[thing] > 0).all()


def test_rounding_near_ties_follow_torch_norm():
    # locations within 1e-4 of the bisector of two centers: float32
    # rounding makes squared distances and torch.norm disagree on the
    # nearest center for thousands of them; the exact re-check must follow
    # torch.norm (the original) on every one
    gen = torch.Generator().manual_seed(0)
    centers = torch.tensor([[100., 300.], [300., 100.]])
    along = torch.rand(200000, generator=gen) * 400
    off = (torch.rand(200000, generator=gen) - 0.5) * 1e-4
    locations = torch.stack((along + off, along - off), 1)
    diff = centers[:, None] - locations[None]
    expected = torch.norm(diff, dim=-1).argmin(0)
    squared = (diff * diff).sum(-1).argmin(0)
    assert (squared != expected).sum() > 1000  # the case is exercised
    nearest = grouping._nearest_center(centers, locations)
    assert torch.equal(nearest, expected)
