# COCO 2017 panoptic (133 classes: 80 things, 53 stuff), unpacked as in
# docs/dataset_prepare.md; `python tools/dataset_converters/coco_panoptic.py
# data/coco` says what is missing. Class names, thing flags, colours and
# category ids come from the JSON's `categories`.
# Training data recipe of detectron2's Panoptic-DeepLab COCO config
# (panoptic_deeplab_R_52_os16_mg124_poly_200k_bs64_crop_640_640_coco_dsconv
# .yaml): short side drawn from 320, 384, ..., 960 (0.5x-1.5x of 640) with
# the long side at most 960, a random 640x640 crop (smaller images padded
# with the mean pixel and void), flip; targets with sigma 8 and small
# instances (< 4096 px) weighted 3 (deeplab2's COCO config). Test: resized
# to a long side of 640; predictions are evaluated at the original size.
# As detectron2: resizing with Pillow (its bilinear filter widens on
# downscaling), Gaussians at the rounded centroids. detectron2 crops without
# padding and pads the normalised batch with 0 after the flip; its models'
# leaf configs do so too (PanopticRandomCrop pad=False and the data
# preprocessor's size_divisor); then the same draws give detectron2's pixels
# and targets (tools/model_converters/verify_training_against_detectron2.py).
# Here smaller crops are padded with the mean pixel (uint8) before the flip.
dataset_type = 'CocoPanopticDataset'
data_root = 'data/coco/'
crop_size = (640, 640)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations'),
    dict(
        type='PanopticResizeShortestEdge',
        short_edge_lengths=[
            320, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960
        ],
        max_size=960,
        backend='pillow'),
    dict(type='PanopticRandomCrop', crop_size=crop_size),
    dict(type='PanopticRandomFlip', prob=0.5),
    dict(
        type='GeneratePanopticTargets',
        sigma=8,
        small_instance_area=4096,
        small_instance_weight=3.0,
        ignore_stuff_in_offset=True,
        ignore_crowd_in_semantic=False,
        round_centers=True),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='PanopticResizeShortestEdge',
        short_edge_lengths=[640],
        max_size=640,
        backend='pillow'),
    dict(type='LoadPanopticAnnotations'),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_train2017.json',
        data_prefix=dict(
            img_path='train2017',
            seg_map_path='annotations/panoptic_train2017'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_val2017.json',
        data_prefix=dict(
            img_path='val2017', seg_map_path='annotations/panoptic_val2017'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Test-time augmentation (`tools/test.py CONFIG CKPT --tta`): flips at the
# test size; for multi-scale testing list more long sides in tta_sizes.
# Ground truth is loaded at the original size.
tta_sizes = [640]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='PanopticResizeShortestEdge',
                    short_edge_lengths=[size],
                    max_size=size,
                    backend='pillow') for size in tta_sizes
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadPanopticAnnotations')],
            [dict(type='PackPanopticInputs')]
        ])
]
# PQ with panopticapi's rules; box and mask AP with pycocotools for both
# instance scores, against instances derived from the panoptic ground truth
# (with the official instances: `--cfg-options val_evaluator.1.ann_file=
# data/coco/annotations/instances_val2017.json`, the same for
# test_evaluator); mIoU on the semantic map of the panoptic ground truth.
val_evaluator = [
    dict(type='PanopticQualityMetric'),
    dict(type='CocoInstanceMetric'),
    dict(type='IoUMetric', iou_metrics=['mIoU'], prefix='semantic')
]
test_evaluator = val_evaluator
