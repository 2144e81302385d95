# The COCO schedule of Panoptic-DeepLab (deeplab2's coco/panoptic_deeplab
# configs, detectron2's COCO config): Adam lr 5e-4, no weight decay, poly LR
# (power 0.9) over 200k iterations, times a linear warmup over the first 2000
# (deeplab2's warmup_steps): at iteration t, lr = base * w(t) * (1 - t /
# 200000) ** 0.9 with w(t) = 0.001 + 0.999 * t / 1999 up to t = 1999, then 1
# (mmengine's LinearLR and PolyLR run over end - begin - 1 steps; the poly's
# end is max_iters + 1 so that it is deeplab2's PolynomialDecay with
# decay_steps 200000). deeplab2's own warmup is not a factor of the poly
# decay: lr = base * t / 2000 below t = 2000, then the decay; both agree
# from t = 2000 on. Validation and checkpoints every 20k; the best
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
        end=max_iters + 1,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=20000)
default_hooks = dict(checkpoint=dict(interval=20000))
