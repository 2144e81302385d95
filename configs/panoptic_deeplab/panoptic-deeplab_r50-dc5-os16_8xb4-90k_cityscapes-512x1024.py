# detectron2's R50-DC5 row (README of projects/Panoptic-DeepLab; it ships no
# YAML): the R52 recipe with a ResNet-50 of the usual 7x7 stem (STEM_TYPE
# basic, 64 channels: mmseg's ResNet, torchvision's key names, so
# torchvision's ImageNet weights load as they are), res5 dilated 2/4/8.
_base_ = ['./panoptic-deeplab_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py']
model = dict(
    backbone=dict(
        type='mmseg.ResNet',
        stem_channels=64,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')))
