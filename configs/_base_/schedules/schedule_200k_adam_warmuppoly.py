# detectron2's Panoptic-DeepLab COCO schedule (its COCO YAML over
# Base-PanopticDeepLab-OS16.yaml): Adam, no weight decay and WarmupPolyLR
# (linear warmup from 0.001 over 1000 iterations; the ends 1001 and
# max_iters + 1 are explained in schedule_90k_adam_warmuppoly.py) with
# schedule_200k_adam_poly.py's lr 5e-4, 200k iterations, validation and
# checkpoints every 20k, keeping the best PQ.
_base_ = ['./schedule_200k_adam_poly.py']
max_iters = 200000
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        end_factor=1.0,
        begin=0,
        end=1001,
        by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters + 1,
        by_epoch=False)
]
