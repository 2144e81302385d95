# R-101 os32 on COCO panoptic, the R-50 recipe.
_base_ = './panoptic-deeplab_r50-os32_16xb4-200k_coco-panoptic-640x640.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-5d3b4d8f.pth')))
