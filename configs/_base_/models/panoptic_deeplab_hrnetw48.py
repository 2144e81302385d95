# Panoptic-DeepLab with HRNet-W48 (panoptic_deeplab_H48_os4_cityscapes.yaml;
# mmseg's HRNet fused with align_corners=True as the original:
# PanopticHRNet): ASPP on the 384-channel stride-32 branch, low-level
# features from the 192/96/48-channel branches.
_base_ = './panoptic_deeplab_r50.py'
norm_cfg = dict(type='SyncBN', momentum=0.01, requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='PanopticHRNet',
        norm_cfg=norm_cfg,
        norm_eval=False,
        extra=dict(
            stage1=dict(
                num_modules=1,
                num_branches=1,
                block='BOTTLENECK',
                num_blocks=(4, ),
                num_channels=(64, )),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(4, 4),
                num_channels=(48, 96)),
            stage3=dict(
                num_modules=4,
                num_branches=3,
                block='BASIC',
                num_blocks=(4, 4, 4),
                num_channels=(48, 96, 192)),
            stage4=dict(
                num_modules=3,
                num_branches=4,
                block='BASIC',
                num_blocks=(4, 4, 4, 4),
                num_channels=(48, 96, 192, 384))),
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w48')),
    decode_head=dict(in_channels=384, low_level_channels=(192, 96, 48)))
