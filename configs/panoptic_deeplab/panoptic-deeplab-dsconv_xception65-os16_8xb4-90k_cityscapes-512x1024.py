# The original's tools_d2 (detectron2) config panoptic_deeplab_X_65_os16_
# mg124_poly_90k_bs32_crop_512_1024_dsconv.yaml: Xception-65 with the exit
# flow dilated (RES5_DILATION 2, output stride 16), res2 (256) / res3 (728)
# as low-level features, mean/std 128, detectron2's DSConv layout.
_base_ = [
    './panoptic-deeplab-dsconv_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py'
]
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
    decode_head=dict(low_level_channels=(728, 256)))
