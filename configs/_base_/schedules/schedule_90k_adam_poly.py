# The reference schedule of Panoptic-DeepLab on Cityscapes: Adam, poly LR
# (power 0.9) from 5e-5 to 0, no weight decay, no warmup, 90k iterations:
# the original's WarmupPolyLR with WARMUP_ITERS 0, lr = base * (1 - t /
# 90000) ** 0.9 at iteration t = 0 .. 89999. mmengine's PolyLR runs over
# T = end - begin - 1 steps (lr = base * (1 - t / T) ** 0.9), hence
# end = max_iters + 1 (with end = max_iters the LR would reach 0 at the last
# iteration, 1e-5 relative below the original's at iteration 45000).
# Validation every 10k iterations (9 evaluations of the 500 val images per
# run: frequent enough to pick the best checkpoint by PQ, rare enough to cost
# under 5% of training time).
optimizer = dict(
    type='Adam', lr=5e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
max_iters = 90000
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters + 1,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # writes the new checkpoint (atomically) and last_checkpoint before it
    # deletes the one max_keep_ckpts drops (mmpdl/engine/hooks); keeps the
    # best checkpoint by PQ, the one reported key ending in '/PQ' whatever
    # the evaluator (cityscapes_panoptic/PQ, panoptic/PQ)
    checkpoint=dict(
        type='PanopticCheckpointHook',
        by_epoch=False,
        interval=10000,
        max_keep_ckpts=3,
        save_best='PQ',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='PanopticVisualizationHook'))
