# Panoptic-DeepLab with torchvision's ResNet-101 at output stride 32
# (panoptic_deeplab_R101_os32_cityscapes.yaml): the R-50 model, deeper.
_base_ = './panoptic_deeplab_r50.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-5d3b4d8f.pth')))
