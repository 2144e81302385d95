# The quickstart schedule of the small model on the built-in datasets: Adam
# at 1e-3, poly LR (power 0.9) to 0, 800 iterations, validation at the end,
# a checkpoint every 400 iterations (the last 2 kept).
_base_ = ['./schedule_90k_adam_poly.py']
max_iters = 800
optim_wrapper = dict(optimizer=dict(lr=1e-3))
# No `end`: mmengine ends the schedule at train_cfg.max_iters, so
# `--cfg-options train_cfg.max_iters=N` alone gives a poly decay to 0 at N.
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=400, max_keep_ckpts=2))
# input | ground truth | current prediction of one training crop, every 200
# iterations, in <work_dir>/<timestamp>/vis_data/vis_image/ (one extra
# forward pass each time: negligible)
custom_hooks = [dict(type='PanopticTrainVisualizationHook', interval=200)]
# Same numbers on every CPU run on one machine with the same thread count:
# seeded model init, sampler and data-loading workers (CPU kernels are
# deterministic for a fixed thread count). deterministic=True is not set: it
# stops CUDA runs at the first torch.bincount. Other seeds:
# --cfg-options randomness.seed=N.
randomness = dict(seed=0)
