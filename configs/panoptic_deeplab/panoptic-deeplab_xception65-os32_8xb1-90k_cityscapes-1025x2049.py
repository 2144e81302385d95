# Original: panoptic_deeplab_X65_os32_cityscapes_lr_x10.yaml: Xception-65,
# lr 5e-4 (10x), BN momentum 0.001, mean/std 0.5/0.5 (127.5 on 0-255).
_base_ = [
    '../_base_/models/panoptic_deeplab_r50.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
norm_cfg = dict(type='SyncBN', momentum=0.001, requires_grad=True)
data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='Xception65',
        output_stride=32,
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/LikeLy-Journey/SegmenTron/'
            'releases/download/v0.1.0/tf-xception65-270e81cf.pth')),
    decode_head=dict(low_level_channels=(728, 728, 256), norm_cfg=norm_cfg))
optim_wrapper = dict(optimizer=dict(lr=5e-4))
