"""Panoptic-DeepLab post-processing: semantic + centers + offsets ->
panoptic map and scored instances.

The rules are the original's (``get_panoptic_segmentation`` and
``get_cityscapes_instance_format`` of bowenc0221/panoptic-deeplab), so a
converted checkpoint gives the same panoptic maps; the implementation is
vectorised: one nearest-center ``argmin`` over thing pixels (chunked), one
``bincount`` over (instance, class) pairs for the majority vote, one over the
semantic map for stuff areas, and ``bincount`` sums for the scores.

Instance numbering follows the original: ids restart at 1 for every class,
in the order of the centers, so maps are identical to the original's.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from .centers import find_instance_centers
from .grouping import group_thing_pixels


def merge_semantic_and_instance(sem_seg: torch.Tensor, instance: torch.Tensor,
                                thing_ids: torch.Tensor, num_classes: int,
                                label_divisor: int, stuff_area: int,
                                void_label: int) -> torch.Tensor:
    """Panoptic map of one image.

    Args:
        sem_seg (Tensor): (H, W) int64 semantic labels.
        instance (Tensor): (H, W) int64 class-agnostic instance ids, 0 = none
            (non-zero only on thing-class pixels).
        thing_ids (Tensor): (T,) int64 thing classes.
        num_classes (int): Number of semantic classes.
        label_divisor (int): Panoptic id = class * divisor + instance.
        stuff_area (int): Stuff classes with fewer pixels become void.
        void_label (int): Value of unlabelled pixels.

    Returns:
        Tensor: (H, W) int64 panoptic map.
    """
    device = sem_seg.device
    is_thing_class = torch.zeros(num_classes, dtype=torch.bool, device=device)
    is_thing_class[thing_ids] = True
    # stuff: a class's label where its area is large enough, else void;
    # thing classes are void until their pixels join an instance
    area = torch.bincount(sem_seg.flatten(), minlength=num_classes)
    keep_stuff = (area >= stuff_area) & ~is_thing_class[:area.numel()]
    class_label = torch.where(
        keep_stuff,
        torch.arange(area.numel(), device=device) * label_divisor,
        torch.full_like(area, void_label))
    panoptic = class_label[sem_seg]
    on_instance = torch.nonzero(instance.flatten() > 0).squeeze(1)
    if on_instance.numel():
        ins = instance.flatten()[on_instance]
        num_ins = int(ins.max()) + 1
        pairs = ins * num_classes + sem_seg.flatten()[on_instance]
        votes = torch.bincount(
            pairs, minlength=num_ins * num_classes).view(num_ins, num_classes)
        # first maximum = smallest class on ties, like torch.mode
        ins_class = votes.argmax(1)
        present = torch.nonzero(votes.sum(1) > 0).squeeze(1)
        present_class = ins_class[present]
        rank = F.one_hot(present_class, num_classes).cumsum(0).gather(
            1, present_class[:, None]).squeeze(1)
        new_ids = torch.zeros(num_ins, dtype=torch.long, device=device)
        new_ids[present] = present_class * label_divisor + rank
        panoptic.view(-1)[on_instance] = new_ids[ins]
    return panoptic


def score_instances(panoptic: torch.Tensor, sem_probs: torch.Tensor,
                    center_heatmap: torch.Tensor,
                    label_divisor: int) -> InstanceData:
    """Masks, labels and the two confidence scores of the original work.

    ``scores``: mean probability of the instance's class over its mask;
    ``scores_sem_x_ctr``: that times the center heatmap at
    ``(int(mean y), int(mean x))`` of the mask.

    Args:
        panoptic (Tensor): (H, W) int64.
        sem_probs (Tensor): (C, H, W) float softmax probabilities.
        center_heatmap (Tensor): (H, W) float.
        label_divisor (int): Panoptic label divisor.

    Returns:
        InstanceData: ``masks`` (K, H, W) bool, ``labels`` (K,) int64,
        ``scores`` and ``scores_sem_x_ctr`` (K,) float32, ``instance_ids``
        (K,) int64 panoptic ids, sorted by id.
    """
    height, width = panoptic.shape
    flat_pan = panoptic.flatten()
    # instance pixels: a non-zero instance part (void and stuff have none)
    flat = torch.nonzero(flat_pan % label_divisor != 0).squeeze(1)
    values = flat_pan[flat]
    # distinct ids by counting (ids are bounded), not by sorting the image
    counts = torch.bincount(values) if flat.numel() else values.new_zeros(1)
    ins_ids = torch.nonzero(counts).squeeze(1)
    labels = ins_ids // label_divisor
    k = ins_ids.numel()
    slot = torch.full_like(counts, -1)
    slot[ins_ids] = torch.arange(k, device=panoptic.device)
    which = slot[values]
    area = counts[ins_ids].double().clamp(min=1)
    cls = labels[which]
    prob = sem_probs.reshape(sem_probs.size(0), -1)[cls, flat].double()
    sem_score = torch.bincount(which, prob, minlength=k) / area
    mean_y = torch.bincount(which, (flat // width).double(), minlength=k)
    mean_x = torch.bincount(which, (flat % width).double(), minlength=k)
    rows = (mean_y / area).long()
    cols = (mean_x / area).long()
    ctr_score = center_heatmap[rows, cols].double()
    masks = torch.zeros(
        k, height * width, dtype=torch.bool, device=panoptic.device)
    masks[which, flat] = True
    masks = masks.view(k, height, width)
    return InstanceData(
        masks=masks,
        labels=labels,
        scores=sem_score.float(),
        scores_sem_x_ctr=(sem_score * ctr_score).float(),
        instance_ids=ins_ids)


def get_panoptic_segmentation(
        sem_probs: torch.Tensor,
        center_heatmap: torch.Tensor,
        offsets: torch.Tensor,
        thing_ids: Sequence[int],
        label_divisor: int,
        ignore_index: int,
        stuff_area: int = 2048,
        center_threshold: float = 0.1,
        nms_kernel: int = 7,
        top_k: Optional[int] = 200,
        sem_seg: Optional[torch.Tensor] = None) -> List[dict]:
    """Panoptic segmentation of a batch, any device.

    Args:
        sem_probs (Tensor): (N, C, H, W) softmax probabilities.
        center_heatmap (Tensor): (N, 1, H, W).
        offsets (Tensor): (N, 2, H, W) (dy, dx).
        thing_ids (Sequence[int]): Thing classes.
        label_divisor (int): Panoptic id = class * divisor + instance.
        ignore_index (int): Void = ``ignore_index * label_divisor``.
        stuff_area (int): Minimum stuff area in pixels.
        center_threshold (float): Center score threshold.
        nms_kernel (int): Center NMS window.
        top_k (int, optional): Maximum number of centers.
        sem_seg (Tensor, optional): (N, H, W) int64 labels in [0, C); the
            argmax of ``sem_probs`` when None (pass the argmax of the logits
            to reproduce the original exactly).

    Returns:
        list[dict]: Per image ``panoptic`` (H, W) int64, ``instances``
        (:func:`score_instances`), ``centers`` (M, 2) int64 (y, x).
    """
    if not (sem_probs.dim() == 4 and center_heatmap.shape[1] == 1
            and offsets.shape[1] == 2 and sem_probs.shape[2:] ==
            center_heatmap.shape[2:] == offsets.shape[2:]):
        raise ValueError(
            'expected sem_probs (N, C, H, W), center_heatmap (N, 1, H, W) '
            f'and offsets (N, 2, H, W), got {tuple(sem_probs.shape)}, '
            f'{tuple(center_heatmap.shape)}, {tuple(offsets.shape)}')
    if sem_seg is None:
        # max(...).indices: argmax's answer (the first maximum)
        sem_seg = sem_probs.max(1).indices
    num_classes = sem_probs.shape[1]
    things = torch.as_tensor(
        list(thing_ids), dtype=torch.long, device=sem_probs.device)
    # thing mask by a lookup table over the classes
    is_thing = torch.zeros(
        num_classes, dtype=torch.bool, device=sem_probs.device)
    is_thing[things] = True
    centers = find_instance_centers(center_heatmap, center_threshold,
                                    nms_kernel, top_k)
    results = []
    for i in range(sem_probs.shape[0]):
        thing_mask = is_thing[sem_seg[i]]
        if centers[i].numel():
            instance = group_thing_pixels(centers[i], offsets[i], thing_mask)
        else:
            instance = torch.zeros_like(sem_seg[i])
        panoptic = merge_semantic_and_instance(sem_seg[i], instance, things,
                                               num_classes, label_divisor,
                                               stuff_area,
                                               ignore_index * label_divisor)
        results.append(
            dict(
                panoptic=panoptic,
                instances=score_instances(panoptic, sem_probs[i],
                                          center_heatmap[i, 0], label_divisor),
                centers=centers[i]))
    return results
