# Original: panoptic_deeplab_MBNV2_100_os32_cityscapes_bs16_lr_x2.yaml:
# MobileNetV2 width 1.0, 8 GPUs x 2 images, lr 1e-4 (2x).
_base_ = [
    '../_base_/models/panoptic_deeplab_r50.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
norm_cfg = dict(type='SyncBN', momentum=0.01, requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='TorchvisionMobileNetV2',
        widen_factor=1.0,
        output_stride=32,
        out_indices=(3, 6, 13, 17),
        norm_cfg=norm_cfg,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'mobilenet_v2-b0353104.pth')),
    decode_head=dict(in_channels=320, low_level_channels=(96, 32, 24)))
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
