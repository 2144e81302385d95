# Original: panoptic_deeplab_X101_32x8d_os32_cityscapes.yaml.
_base_ = './panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py'
model = dict(
    backbone=dict(
        depth=101,
        groups=32,
        width_per_group=8,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnext101_32x8d-8ba56ff5.pth')))
