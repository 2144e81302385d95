# detectron2's Panoptic-DeepLab COCO schedule (its COCO YAML over
# Base-PanopticDeepLab-OS16.yaml): schedule_200k_adam_poly.py (Adam 5e-4, no
# weight decay, poly LR over 200k iterations, validation and checkpoints
# every 20k, keeping the best PQ) with detectron2's WarmupPolyLR: the
# linear warmup from 0.001 over 1000 iterations; the ends 1001 and
# max_iters + 1 as explained in schedule_90k_adam_warmuppoly.py.
_base_ = ['./schedule_200k_adam_poly.py']
max_iters = 200000
param_scheduler = [
    dict(_base_.param_scheduler[0], end_factor=1.0, end=1001),
    dict(_base_.param_scheduler[1], end=max_iters + 1)
]
