# Panoptic-DeepLab with the original's Xception-65 at output stride 32
# (panoptic_deeplab_X65_os32_cityscapes_lr_x10.yaml): BN momentum 0.001,
# mean/std 0.5/0.5 (127.5 on 0-255), low-level features of 728/728/256
# channels.
_base_ = './panoptic_deeplab_r50.py'
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
