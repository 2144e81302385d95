"""Panoptic post-processing of one image in a form that exports to ONNX.

The rules and the results are those of :func:`get_panoptic_segmentation`
(the eager form); only the operations differ, so that the TorchScript ONNX
exporter can trace them into one graph without Python control flow:

* centers: ``topk`` over the NMS'd heatmap into ``top_k`` fixed slots,
  masked by the original's keep rule, then sorted into raster order (the
  eager form uses ``nonzero``, whose output size depends on the data);
* grouping: distances to the valid centers (their number is read from the
  mask and gathered with ``arange``), computed as ``torch.norm`` rounds
  them (see :func:`norm_like_torch`), so near-ties resolve as in the eager
  form; a far sentinel center keeps ``argmin`` defined without centers;
* majority vote, stuff areas and scores: ``scatter_add`` into buffers of a
  fixed size (``top_k + 1`` slots x classes) instead of ``bincount``.

Memory: the grouping holds (valid centers + 1) x H x W float64 distances,
the original's footprint (the eager form works in small chunks instead).
"""
from typing import Dict

import torch
import torch.nn.functional as F

from .centers import window_max

#: Coordinates of the sentinel center: no pixel is nearer to it than to a
#: real center, and its squared distance stays finite in float32.
SENTINEL = 1e15


def select_centers(center: torch.Tensor, threshold: float, nms_kernel: int,
                   top_k: int) -> torch.Tensor:
    """Flat indices of the kept centers, in raster order.

    Same rule as :func:`find_instance_centers`: scores <= ``threshold``
    are dropped, a pixel must equal the maximum of its ``nms_kernel``
    window, and with ``top_k`` or more candidates only those strictly
    above the ``top_k``-th largest score are kept.

    Args:
        center (Tensor): (H, W) float heatmap.
        threshold (float): Score threshold.
        nms_kernel (int): Odd NMS window.
        top_k (int): Number of center slots.

    Returns:
        Tensor: (M,) int64 flat indices ``y * W + x``, M <= ``top_k``.
    """
    scores = torch.where(center > threshold, center,
                         torch.full_like(center, -1.))
    pooled = window_max(window_max(scores, nms_kernel, 1), nms_kernel, 0)
    scores = torch.where(scores == pooled, scores,
                         torch.full_like(scores, -1.))
    flat = scores.flatten()
    slots = min(top_k, flat.numel())
    values, indices = torch.topk(flat, slots)
    candidates = (flat > 0).sum()
    cut = torch.where(candidates >= top_k, values[-1],
                      torch.zeros_like(values[-1]))
    valid = values > cut  # a prefix: values are sorted
    # the valid slots in raster order first, the others after them
    key = torch.where(valid, indices, torch.full_like(indices, flat.numel()))
    ordered = torch.sort(key).values
    return ordered.index_select(0,
                                torch.arange(valid.sum(), device=key.device))


def norm_like_torch(dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """``torch.norm(stack((dy, dx), -1), dim=-1)`` on CPU, bit for bit.

    PyTorch's float32 2-norm over a last dimension of size 2 rounds
    ``fma(dx, dx, dy * dy)`` once to float32, then takes the correctly
    rounded square root. Both steps are reproduced in float64 with standard
    ONNX operators: a product of two float32 is exact there, and the
    float64 square root of a float32, rounded to float32, is the correctly
    rounded float32 one (``torch.sqrt`` on float32 CPU tensors is not
    always).

    Args:
        dy (Tensor): float32, any shape.
        dx (Tensor): float32, same shape.

    Returns:
        Tensor: float32 distances, same shape.
    """
    wide_dx = dx.double()
    squared = (dy * dy).double() + wide_dx * wide_dx
    return torch.sqrt(squared.float().double()).float()


def group_pixels(centers: torch.Tensor, offset: torch.Tensor,
                 thing_mask: torch.Tensor) -> torch.Tensor:
    """Instance slot (1-based index of the nearest center) of thing pixels.

    Args:
        centers (Tensor): (M, 2) int64 (y, x), M >= 0.
        offset (Tensor): (2, H, W) float32 (dy, dx).
        thing_mask (Tensor): (H, W) bool.

    Returns:
        Tensor: (H, W) int64, 0 off the thing mask or without centers.
    """
    height, width = thing_mask.shape
    ys = torch.arange(
        height, dtype=offset.dtype, device=offset.device)[:, None] + offset[0]
    xs = torch.arange(
        width, dtype=offset.dtype, device=offset.device)[None, :] + offset[1]
    sentinel = torch.full((1, 2),
                          SENTINEL,
                          dtype=offset.dtype,
                          device=offset.device)
    points = torch.cat((centers.to(offset.dtype), sentinel), 0)
    dy = points[:, :1] - ys.reshape(1, -1)
    dx = points[:, 1:] - xs.reshape(1, -1)
    nearest = norm_like_torch(dy, dx).argmin(0).view(height, width)
    real = thing_mask & (nearest < centers.size(0))
    return torch.where(real, nearest + 1, torch.zeros_like(nearest))


def _scatter_sum(index: torch.Tensor, values: torch.Tensor,
                 size: int) -> torch.Tensor:
    """``torch.bincount(index, values, minlength=size)`` with a fixed
    size (all indices must be < ``size``)."""
    return torch.zeros(
        size, dtype=values.dtype,
        device=values.device).scatter_add(0, index, values)


def panoptic_fixed_shape(sem_logits: torch.Tensor,
                         center: torch.Tensor,
                         offset: torch.Tensor,
                         is_thing: torch.Tensor,
                         label_divisor: int,
                         ignore_index: int,
                         stuff_area: int = 2048,
                         center_threshold: float = 0.1,
                         nms_kernel: int = 7,
                         top_k: int = 200) -> Dict[str, torch.Tensor]:
    """Panoptic map and per-slot instance scores of one image.

    Equal to :func:`get_panoptic_segmentation` with ``sem_seg`` the
    argmax of ``sem_logits`` and ``sem_probs`` their softmax, which is what
    ``PanopticDeepLab.predict`` does.

    Args:
        sem_logits (Tensor): (C, H, W) float32 semantic logits.
        center (Tensor): (H, W) float32 center heatmap.
        offset (Tensor): (2, H, W) float32 (dy, dx).
        is_thing (Tensor): (C,) bool, True for thing classes.
        label_divisor (int): Panoptic id = class * divisor + instance.
        ignore_index (int): Void = ``ignore_index * label_divisor``.
        stuff_area (int): Stuff classes with fewer pixels become void.
        center_threshold (float): Center score threshold.
        nms_kernel (int): Center NMS window.
        top_k (int): Number of center (and instance) slots.

    Returns:
        dict[str, Tensor]: ``panoptic`` and ``sem_seg`` (H, W) int64;
        per slot (``top_k``,): ``instance_ids`` int64 (the instance's
        panoptic id, 0 for an empty slot), ``labels`` int64, ``scores`` and
        ``scores_sem_x_ctr`` float32 (as :func:`score_instances`).
    """
    num_classes, height, width = sem_logits.shape
    sem_seg = sem_logits.argmax(0)
    centers = select_centers(center, center_threshold, nms_kernel, top_k)
    centers = torch.stack((centers // width, centers % width), 1)
    instance = group_pixels(centers, offset, is_thing[sem_seg])
    flat_sem, flat_ins = sem_seg.flatten(), instance.flatten()
    ones = torch.ones_like(flat_sem)
    slots = top_k + 1  # slot 0 collects the pixels of no instance
    classes = torch.arange(num_classes, device=sem_logits.device)

    area = _scatter_sum(flat_sem, ones, num_classes)
    keep_stuff = (area >= stuff_area) & ~is_thing
    class_label = torch.where(
        keep_stuff, classes * label_divisor,
        torch.full_like(classes, ignore_index * label_divisor))
    votes = _scatter_sum(flat_ins * num_classes + flat_sem, ones,
                         slots * num_classes).view(slots, num_classes)
    ins_class = votes.argmax(1)
    present = (votes.sum(1) > 0) & (
        torch.arange(slots, device=classes.device) > 0)
    same_class = (ins_class[:, None] == classes[None]) & present[:, None]
    rank = same_class.long().cumsum(0).gather(1, ins_class[:, None])[:, 0]
    new_ids = torch.where(present, ins_class * label_divisor + rank,
                          torch.zeros_like(rank))
    panoptic = torch.where(instance > 0, new_ids[instance],
                           class_label[sem_seg])

    # scores of each slot, summed in float64 as the eager form does
    on_instance = flat_ins > 0
    pixel_class = ins_class[flat_ins]
    probs = F.softmax(sem_logits, 0).reshape(num_classes, -1)
    prob = probs.gather(0, pixel_class[None])[0].double()
    zero = torch.zeros_like(prob)
    size = _scatter_sum(flat_ins, ones, slots).double().clamp(min=1)
    sem_score = _scatter_sum(flat_ins, torch.where(on_instance, prob, zero),
                             slots) / size
    pixel = torch.arange(height * width, device=classes.device)
    rows = (_scatter_sum(flat_ins,
                         (pixel // width).double(), slots) / size).long()
    cols = (_scatter_sum(flat_ins,
                         (pixel % width).double(), slots) / size).long()
    ctr_score = center.flatten()[rows * width + cols].double()
    return dict(
        panoptic=panoptic,
        sem_seg=sem_seg,
        instance_ids=new_ids[1:],
        labels=torch.where(present, ins_class,
                           torch.zeros_like(ins_class))[1:],
        scores=sem_score.float()[1:],
        scores_sem_x_ctr=(sem_score * ctr_score).float()[1:])
