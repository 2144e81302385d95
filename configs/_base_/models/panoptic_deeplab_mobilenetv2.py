# Panoptic-DeepLab with torchvision's MobileNetV2 (width 1.0) at output
# stride 32 (panoptic_deeplab_MBNV2_100_os32_cityscapes_bs16_lr_x2.yaml):
# ASPP on its 320-channel output, low-level features of 96/32/24 channels.
_base_ = './panoptic_deeplab_r50.py'
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
