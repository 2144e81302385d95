# Panoptic-DeepLab with a torchvision ResNet-50 at output stride 32, the
# layout of the model zoo: ASPP (rates 3/6/9) on the stride-32 feature,
# three low-level features (strides 16, 8, 4) projected to 128/64/32
# channels (semantic) and 64/32/16 (instance).
norm_cfg = dict(type='SyncBN', momentum=0.01, requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    # only pads a batch to its largest image; the model itself pads to the
    # k * 32 + 1 sizes it needs and crops its outputs back
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
        type='TorchvisionResNet',
        depth=50,
        output_stride=32,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet50-19c8e357.pth')),
    decode_head=dict(
        type='PanopticDeepLabHead',
        in_channels=2048,
        in_index=3,
        low_level_channels=(1024, 512, 256),
        low_level_in_index=(2, 1, 0),
        atrous_rates=(3, 6, 9),
        # None: the class count of the dataset, filled in before the model is
        # built (mmpdl.datasets.fill_num_classes); model-zoo configs name it
        num_classes=None,
        semantic_branch=dict(
            aspp_channels=256,
            low_level_projections=(128, 64, 32),
            decoder_channels=256,
            head_channels=256),
        instance_branch=dict(
            aspp_channels=256,
            low_level_projections=(64, 32, 16),
            decoder_channels=128,
            head_channels=32),
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        dropout_ratio=0.5,
        align_corners=True,
        loss_semantic=dict(
            type='DeepLabCELoss',
            top_k_percent_pixels=0.2,
            ignore_index=None,  # the dataset's (fill_dataset_meta)
            loss_weight=1.0,
            loss_name='loss_sem'),
        loss_center=dict(
            type='WeightedMSELoss', loss_weight=200.0,
            loss_name='loss_center'),
        loss_offset=dict(
            type='WeightedL1Loss', loss_weight=0.01, loss_name='loss_offset')),
    post_processor=dict(
        type='PanopticDeepLabPostProcessor',
        center_threshold=0.1,
        nms_kernel=7,
        top_k=200,
        stuff_area=2048))
