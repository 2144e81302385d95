# detectron2's Panoptic-DeepLab schedule (Base-PanopticDeepLab-OS16.yaml and
# detectron2's defaults): Adam (PyTorch's betas and eps) at 1e-3, no weight
# decay, WarmupPolyLR: lr = base * warmup(t) * (1 - t / max_iter) ** 0.9
# with a linear warmup from 0.001 over 1000 iterations (WARMUP_FACTOR,
# WARMUP_ITERS, WARMUP_METHOD defaults). mmengine chains the two
# schedulers multiplicatively, which gives that product; its LinearLR and
# PolyLR run over T = end - begin - 1 steps, hence the ends 1001 and
# max_iters + 1 for detectron2's 1000 and max_iters.
_base_ = ['./schedule_90k_adam_poly.py']
max_iters = 90000
optimizer = dict(
    type='Adam', lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
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
train_cfg = dict(max_iters=max_iters)
