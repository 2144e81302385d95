# The HRNet-W48 model of the original's tools_d2 (detectron2) configs
# panoptic_deeplab_H_48_os16_mg124_*_dsconv.yaml: HRNet-W48 (the
# original's, mmpdl's PanopticHRNet), ASPP (rates 3/6/9) on the 384-channel
# stride-32 branch (so the pooling kernel is the crop // 32), three
# low-level branches (192 / 96 / 48 channels) projected to 128 / 64 / 32 in
# both decoders, detectron2's DSConv head layout (see
# _base_/models/panoptic_deeplab_r52-dc5-os16.py and
# panoptic-deeplab-dsconv_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py),
# SyncBN with PyTorch's default momentum, 19 classes.
_base_ = './panoptic_deeplab_hrnetw48.py'
norm_cfg = dict(type='SyncBN', momentum=0.1, requires_grad=True)
model = dict(
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(
        instance_branch=dict(low_level_projections=(128, 64, 32)),
        norm_cfg=norm_cfg,
        dropout_ratio=0.1,
        align_corners=False,
        fuse_conv='dsconv5x5',
        head_conv=dict(
            sem_seg='dsconv5x5', center='conv3x3x2', offset='dsconv5x5'),
        low_level_first=True,
        init_style='detectron2',
        aspp_cfg=dict(
            depthwise_separable=True,
            # the 512x1024 training crop // output stride 32
            pool_kernel_size=(16, 32),
            image_pool_bias=True),
        # detectron2's offset loss: divided by the sum of its one-channel
        # weights (twice the original's)
        loss_offset=dict(normalize_over_channels=False)))
