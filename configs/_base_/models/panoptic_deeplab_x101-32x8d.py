# Panoptic-DeepLab with torchvision's ResNeXt-101 32x8d at output stride 32
# (panoptic_deeplab_X101_32x8d_os32_cityscapes.yaml).
_base_ = './panoptic_deeplab_r50.py'
model = dict(
    backbone=dict(
        depth=101,
        groups=32,
        width_per_group=8,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnext101_32x8d-8ba56ff5.pth')))
