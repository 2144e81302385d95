# detectron2: panoptic_deeplab_R_52_os16_mg124_poly_90k_bs32_crop_512_1024_
# dsconv.yaml (USE_DEPTHWISE_SEPARABLE_CONV): the ASPP's atrous branches are
# 3x3 depthwise-separable convs, the decoder fuses with one 5x5 DSConv, the
# semantic and offset heads are 5x5 DSConvs, the center head stays two 3x3
# convs.
_base_ = ['./panoptic-deeplab_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py']
model = dict(
    decode_head=dict(
        fuse_conv='dsconv5x5',
        head_conv=dict(
            sem_seg='dsconv5x5', center='conv3x3x2', offset='dsconv5x5'),
        aspp_cfg=dict(depthwise_separable=True)))
