# The original's tools_d2 (detectron2) config panoptic_deeplab_H_48_os16_
# mg124_poly_90k_bs32_crop_512_1024_dsconv.yaml: HRNet-W48 (the original's,
# mmpdl's PanopticHRNet), ASPP (rates 3/6/9) on the 384-channel stride-32
# branch (so the pooling kernel is the crop // 32), three low-level branches
# (192 / 96 / 48 channels) projected to 128 / 64 / 32, detectron2's DSConv
# layout.
_base_ = [
    './panoptic-deeplab-dsconv_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py'
]
norm_cfg = dict(type='SyncBN', momentum=0.1, requires_grad=True)
crop_size = (512, 1024)
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
    decode_head=dict(
        in_channels=384,
        low_level_channels=(192, 96, 48),
        low_level_in_index=(2, 1, 0),
        atrous_rates=(3, 6, 9),
        semantic_branch=dict(low_level_projections=(128, 64, 32)),
        instance_branch=dict(low_level_projections=(128, 64, 32)),
        aspp_cfg=dict(
            pool_kernel_size=(crop_size[0] // 32, crop_size[1] // 32))))
