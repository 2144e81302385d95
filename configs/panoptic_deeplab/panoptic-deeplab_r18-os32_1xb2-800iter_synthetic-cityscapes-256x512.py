# The quickstart model: a small Panoptic-DeepLab (torchvision ResNet-18 at
# output stride 32, narrow decoders) trained from scratch, on one CPU or GPU,
# on the built-in synthetic Cityscapes-format dataset (40 train + 10 val
# images of 256x512, see tools/dataset_converters/synthetic_cityscapes.py).
# Not a model-zoo row: it exists so `bash tools/quickstart.sh` shows the
# whole job end to end in minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/panoptic_deeplab_r18_small.py',
    '../_base_/datasets/synthetic_cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
max_iters = 800
model = dict(
    # 2048 px at 1024x2048 is 1/1024 of the image; the same share of a
    # 256x512 image is 128 px.
    post_processor=dict(stuff_area=128))
train_dataloader = dict(batch_size=2, num_workers=2)
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
# No work_dir: tools/train.py uses work_dirs/<config name> unless --work-dir
# is given; tools/quickstart.sh names one per iteration count.
