# The original's tools_d2 (detectron2) config panoptic_deeplab_X_65_os16_
# mg124_poly_90k_bs32_crop_512_1024.yaml: the Xception-65 model of the DSConv
# config with detectron2's regular layout (regular ASPP, two 3x3 convs in
# the decoder and heads).
_base_ = [
    './panoptic-deeplab-dsconv_xception65-os16_8xb4-90k_cityscapes-512x1024.py'
]
model = dict(
    decode_head=dict(
        fuse_conv='conv3x3x2',
        head_conv=dict(sem_seg='conv3x3x2', offset='conv3x3x2'),
        aspp_cfg=dict(depthwise_separable=False)))
