# Original: panoptic_deeplab_R101_os32_cityscapes.yaml.
_base_ = './panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-5d3b4d8f.pth')))
