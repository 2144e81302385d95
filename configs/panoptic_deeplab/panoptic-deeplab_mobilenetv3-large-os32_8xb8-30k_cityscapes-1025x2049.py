# deeplab2 (github.com/google-research/deeplab2):
# configs/cityscapes/panoptic_deeplab/mobilenet_v3_large_os32.textproto.
# torchvision's MobileNetV3-Large; as deeplab2's endpoints, the low-level
# features are the depthwise activations of `features.6` (res3, stride 8,
# 120 channels) and `features.3` (res2, stride 4, 72 channels); the ASPP
# reads the 960-channel last conv.
# Two low-level features projected to 64/32 (semantic) and 32/16 (instance);
# ASPP 256 channels, dropout 0.1; batch 64, Adam 4e-4 (Keras eps 1e-7), poly
# over 30k iterations, no warmup; BN momentum 0.01 (TF 0.99), eps 1e-3;
# post-processing: NMS kernel 13, top 400 centers.
_base_ = [
    '../_base_/models/panoptic_deeplab_r50.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
max_iters = 30000
norm_cfg = dict(type='SyncBN', momentum=0.01, eps=0.001, requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='TorchvisionMobileNetV3',
        arch='large',
        output_stride=32,
        out_indices=(3, 6, 12, 16),
        depthwise_outputs=True,
        norm_cfg=norm_cfg,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'mobilenet_v3_large-8738ca79.pth')),
    decode_head=dict(
        num_classes=19,  # the classifier of the checkpoints
        in_channels=960,
        in_index=3,
        low_level_channels=(120, 72),
        low_level_in_index=(1, 0),
        semantic_branch=dict(low_level_projections=(64, 32)),
        instance_branch=dict(low_level_projections=(32, 16)),
        dropout_ratio=0.1,
        norm_cfg=norm_cfg),
    post_processor=dict(nms_kernel=13, top_k=400))
optim_wrapper = dict(optimizer=dict(lr=4e-4, eps=1e-7))
# deeplab2's PolynomialDecay: lr = base * (1 - step / max_iters) ** 0.9;
# mmengine's PolyLR runs over end - begin - 1 steps, hence max_iters + 1
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters + 1,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=5000)
default_hooks = dict(checkpoint=dict(interval=5000))
# deeplab2's recipe, not the original's: no random padding position, no
# float64 resize (the base pipeline's original-only options switched off)
train_pipeline = [
    dict(t, random_pad=False) if t['type'] == 'PanopticRandomCrop' else
    dict(t, float_image=False) if t['type'] == 'PanopticRandomResize' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
