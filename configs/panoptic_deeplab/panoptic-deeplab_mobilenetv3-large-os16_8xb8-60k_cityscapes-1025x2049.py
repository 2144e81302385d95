# deeplab2 (github.com/google-research/deeplab2):
# configs/cityscapes/panoptic_deeplab/mobilenet_v3_large_os16.textproto.
# The MobileNetV3-Large os32 recipe at output stride 16 (the last stage
# dilated): ASPP rates 6/12/18; Adam 1e-3, 500 linear warmup iterations, poly
# over 60k iterations; BN eps 1e-5; no extra weight on small instances
# (weight 1.0); post-processing NMS kernel 7. deeplab2's training also applies
# an AutoAugment policy (simple_classification_policy_magnitude_scale_0.2)
# that mmpdl does not have.
_base_ = [
    './panoptic-deeplab_mobilenetv3-large-os32_8xb8-30k_cityscapes-'
    '1025x2049.py'
]
max_iters = 60000
warmup_iters = 500
norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1e-5, requires_grad=True)
model = dict(
    backbone=dict(output_stride=16, norm_cfg=norm_cfg),
    decode_head=dict(atrous_rates=(6, 12, 18), norm_cfg=norm_cfg),
    post_processor=dict(nms_kernel=7))
train_pipeline = [
    {{_base_.load_image}},
    {{_base_.load_annotations}},
    dict(type='PanopticRandomResize', ratio_range=(0.5, 2.0), step=0.1),
    dict(type='PanopticRandomCrop', crop_size={{_base_.crop_size}}),
    {{_base_.random_flip}},
    dict(
        type='GeneratePanopticTargets',
        sigma=8,
        small_instance_area=4096,
        small_instance_weight=1.0,
        ignore_stuff_in_offset=True,
        ignore_crowd_in_semantic=False),
    {{_base_.pack_inputs}},
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
# deeplab2: lr = base * step / 500 for the first 500 steps, then the poly
# decay of the whole run, base * (1 - step / 60000) ** 0.9 (at step 500 it
# is 0.9925 x base). mmengine multiplies the two schedulers: from step 500
# on this is deeplab2's LR exactly; during the warmup it is the warmup times
# the poly factor (at most 0.75% below deeplab2's). mmengine's schedulers
# run over end - begin - 1 steps, hence max_iters + 1.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0 / warmup_iters,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters + 1,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters)
