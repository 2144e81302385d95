# The original's tools_d2 (detectron2) config panoptic_deeplab_X_65_os16_
# mg124_poly_200k_bs64_crop_640_640_coco_dsconv.yaml: detectron2's COCO
# DSConv recipe of the R52 row (133 classes, LOSS_TOP_K 1.0, pooling kernel
# 640 // 16, SIZE_DIVISIBILITY 640, stuff area 4096, NMS kernel 41, 64
# images per iteration, Adam 5e-4, WarmupPolyLR over 200k iterations, short
# side 320-960, max 960, 640x640 crops, sigma 8) with the Xception-65 of
# panoptic-deeplab-dsconv_xception65-os16_8xb4-90k_cityscapes-512x1024.py
# (exit flow dilated, output stride 16, res2 / res3 low-level features,
# mean/std 128).
_base_ = [
    './panoptic-deeplab-dsconv_r52-dc5-os16_16xb4-200k_'
    'coco-panoptic-640x640.py'
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
