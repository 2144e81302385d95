"""A plain, loop-by-loop NumPy transcription of Panoptic-DeepLab's
post-processing rules, used as the oracle of the vectorised torch code."""
import numpy as np


def reference_centers(heatmap, threshold, nms_kernel, top_k):
    """(H, W) heatmap -> list of (y, x) in raster order."""
    height, width = heatmap.shape
    scores = np.where(heatmap > threshold, heatmap, -1.0)
    radius = nms_kernel // 2
    nms = np.full_like(scores, -1.0)
    for y in range(height):
        for x in range(width):
            window = scores[max(0, y - radius):y + radius + 1,
                            max(0, x - radius):x + radius + 1]
            if scores[y, x] == window.max():
                nms[y, x] = scores[y, x]
    kept = [(y, x) for y in range(height) for x in range(width)
            if nms[y, x] > 0]
    if top_k is not None and len(kept) >= top_k:
        kth = np.sort(nms.ravel())[::-1][top_k - 1]
        kept = [(y, x) for (y, x) in kept if nms[y, x] > kth]
    return kept


def reference_panoptic(probs, heatmap, offsets, sem, thing_ids, divisor,
                       stuff_area, threshold, nms_kernel, top_k):
    """Panoptic map and {panoptic id: (sem score, sem x center score)}."""
    num_classes, height, width = probs.shape
    centers = reference_centers(heatmap, threshold, nms_kernel, top_k)
    instance = np.zeros((height, width), np.int64)
    if centers:
        for y in range(height):
            for x in range(width):
                if sem[y, x] not in thing_ids:
                    continue
                ly, lx = y + offsets[0, y, x], x + offsets[1, y, x]
                dist = [np.hypot(cy - ly, cx - lx) for cy, cx in centers]
                instance[y, x] = int(np.argmin(dist)) + 1
    panoptic = np.full((height, width), 255 * divisor, np.int64)
    counter = {}
    for ins in range(1, len(centers) + 1):
        mask = instance == ins
        if not mask.any():
            continue
        votes = np.bincount(sem[mask], minlength=num_classes)
        cls = int(np.argmax(votes))  # smallest class on ties
        counter[cls] = counter.get(cls, 0) + 1
        panoptic[mask] = cls * divisor + counter[cls]
    for cls in range(num_classes):
        if cls in thing_ids:
            continue
        mask = (sem == cls) & (instance == 0)
        if mask.sum() >= stuff_area:
            panoptic[mask] = cls * divisor
    scores = {}
    for pid in np.unique(panoptic):
        if pid % divisor == 0:
            continue
        ys, xs = np.nonzero(panoptic == pid)
        sem_score = probs[pid // divisor, ys, xs].mean()
        ctr = heatmap[int(ys.mean()), int(xs.mean())]
        scores[int(pid)] = (sem_score, sem_score * ctr)
    return panoptic, scores
