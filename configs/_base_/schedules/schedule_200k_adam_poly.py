# The COCO schedule of Panoptic-DeepLab (deeplab2's coco/panoptic_deeplab
# configs, detectron2's COCO config): Adam lr 5e-4, no weight decay, poly LR
# (power 0.9) over 200k iterations, times a linear warmup over the first 2000
# (deeplab2's warmup_steps). Validation and checkpoints every 20k; the best
# checkpoint by PQ is kept (the base schedule's save_best).
_base_ = './schedule_90k_adam_poly.py'
max_iters = 200000
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-3, begin=0, end=2000, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=20000)
default_hooks = dict(checkpoint=dict(interval=20000))
