# The Xception-65 model of the original's tools_d2 (detectron2) configs
# panoptic_deeplab_X_65_os16_mg124_*_dsconv.yaml: detectron2's model of
# _base_/models/panoptic_deeplab_r52-dc5-os16.py with the original's
# Xception-65 (exit flow dilated: RES5_DILATION 2, output stride 16), res2
# (256) / res3 (728) as low-level features, mean/std 128 (RGB), SyncBN with
# PyTorch's default momentum, and detectron2's DSConv layout (3x3
# depthwise-separable ASPP branches, one 5x5 DSConv per decoder fuse and in
# the semantic and offset heads, the center head two 3x3 convs), 19 classes.
_base_ = './panoptic_deeplab_r52-dc5-os16.py'
norm_cfg = dict(type='SyncBN', momentum=0.1, requires_grad=True)
model = dict(
    data_preprocessor=dict(mean=[128.0] * 3, std=[128.0] * 3),
    backbone=dict(
        _delete_=True,
        type='Xception65',
        output_stride=16,
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/LikeLy-Journey/SegmenTron/'
            'releases/download/v0.1.0/tf-xception65-270e81cf.pth')),
    decode_head=dict(
        low_level_channels=(728, 256),
        fuse_conv='dsconv5x5',
        head_conv=dict(
            sem_seg='dsconv5x5', center='conv3x3x2', offset='dsconv5x5'),
        aspp_cfg=dict(depthwise_separable=True)))
