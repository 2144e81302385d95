# Panoptic-DeepLab as detectron2 builds it (projects/Panoptic-DeepLab,
# Base-PanopticDeepLab-OS16.yaml + panoptic_deeplab_R_52_os16_mg124_poly_90k_
# bs32_crop_512_1024.yaml), regular (non-DSConv) layout, 19 classes.
# Backbone R52-DC5: a ResNet-50 with a deep 3x3 stem 64/64/128 (detectron2's
# DeepLabStem = mmseg's ResNetV1c with stem_channels=128), the stride in the
# 3x3 convs (STRIDE_IN_1X1 False = style 'pytorch'), res5 at stride 1 with
# per-block dilations 2, 4, 8 (RES5_DILATION 2 x RES5_MULTI_GRID 1, 2, 4;
# mmseg's multi_grid holds the absolute dilation of each block, so
# dilations[3] is unused). Head: ASPP (rates 6/12/18, dropout 0.1) on res5
# (stride 16), low-level res3 / res2 (strides 8, 4) projected to 64 / 32
# channels in both branches; fuse and head blocks are two 3x3 convs,
# concatenation [low-level, upsampled]; the ASPP's image pooling is an
# AvgPool2d with the kernel crop // 16 (global on the 512x1024 training
# crop), its 1x1 conv has a bias; all upsampling with align_corners=False,
# so inputs are padded to multiples of 32 (see PanopticDeepLab); the head's
# weights are initialised as detectron2's.
# Norms: SyncBN with PyTorch's default momentum (detectron2's).
norm_cfg = dict(type='SyncBN', momentum=0.1, requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size_divisor=1,
    pad_val=0,
    # the void label of padded target pixels: the dataset's ignore_index,
    # filled in by mmpdl.datasets.fill_dataset_meta (like num_classes)
    seg_pad_val=None)
model = dict(
    type='PanopticDeepLab',
    data_preprocessor=data_preprocessor,
    size_divisor=32,
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=50,
        stem_channels=128,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        multi_grid=(2, 4, 8),
        style='pytorch',
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        # detectron2's ImageNet R52 (https://dl.fbaipublicfiles.com/
        # detectron2/DeepLab/R-52.pkl) in mmseg's ResNetV1c key names
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/R-52_mmseg.pth')),
    decode_head=dict(
        type='PanopticDeepLabHead',
        in_channels=2048,
        in_index=3,
        low_level_channels=(512, 256),
        low_level_in_index=(1, 0),
        atrous_rates=(6, 12, 18),
        # None: the class count of the dataset, filled in before the model is
        # built (mmpdl.datasets.fill_num_classes); model-zoo configs name it
        num_classes=None,
        semantic_branch=dict(
            aspp_channels=256,
            low_level_projections=(64, 32),
            decoder_channels=256,
            head_channels=256),
        instance_branch=dict(
            aspp_channels=256,
            low_level_projections=(64, 32),
            decoder_channels=128,
            head_channels=32),
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        dropout_ratio=0.1,
        align_corners=False,
        fuse_conv='conv3x3x2',
        head_conv=dict(
            sem_seg='conv3x3x2', center='conv3x3x2', offset='conv3x3x2'),
        low_level_first=True,
        init_style='detectron2',
        aspp_cfg=dict(
            depthwise_separable=False,
            # the 512x1024 training crop // output stride 16
            pool_kernel_size=(32, 64),
            image_pool_bias=True),
        loss_semantic=dict(
            type='DeepLabCELoss',
            top_k_percent_pixels=0.2,
            ignore_index=None,  # the dataset's (fill_dataset_meta)
            loss_weight=1.0,
            loss_name='loss_sem'),
        loss_center=dict(
            type='WeightedMSELoss', loss_weight=200.0,
            loss_name='loss_center'),
        # detectron2 divides the offset loss by the sum of its one-channel
        # weights, not over both channels: twice the original's
        loss_offset=dict(
            type='WeightedL1Loss',
            loss_weight=0.01,
            loss_name='loss_offset',
            normalize_over_channels=False)),
    post_processor=dict(
        type='PanopticDeepLabPostProcessor',
        center_threshold=0.1,
        nms_kernel=7,
        top_k=200,
        stuff_area=2048))
