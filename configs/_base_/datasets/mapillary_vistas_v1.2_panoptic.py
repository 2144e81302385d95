# Mapillary Vistas v1.2 panoptic (65 classes: 37 things, 28 stuff), the
# layout of the v2.0 release (which holds v1.2 too), checked by
# `python tools/dataset_converters/mapillary_vistas.py data/mapillary_vistas
# --version 1.2`. Class names, thing flags, colours and category ids come
# from the JSON's `categories`.
# Training reads a copy whose images are resized to a longest side of 2177
# (the paper's Vistas setting), written once by `python
# tools/dataset_converters/mapillary_vistas.py data/mapillary_vistas
# --version 1.2 --resize-longest 2177 --out-dir data/mapillary_vistas_2177`,
# so that decoding 4000x6000 images does not dominate training; then random
# scale 0.5-2.0 (step 0.1), a 1025x1025 crop, flip. Validation reads the
# original files, resizes the image to a longest side of 2177 and evaluates
# the prediction upsampled to the original size.
_base_ = './coco_panoptic.py'
data_root = 'data/mapillary_vistas/'
train_data_root = 'data/mapillary_vistas_2177/'
version = 'v1.2'
ann_name = 'panoptic_2018'
crop_size = (1025, 1025)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations'),
    dict(type='PanopticRandomResize', ratio_range=(0.5, 2.0), step=0.1),
    dict(type='PanopticRandomCrop', crop_size=crop_size),
    dict(type='PanopticRandomFlip', prob=0.5),
    dict(
        type='GeneratePanopticTargets',
        sigma=8,
        small_instance_area=4096,
        small_instance_weight=3.0,
        ignore_stuff_in_offset=True,
        ignore_crowd_in_semantic=False),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='PanopticResizeShortestEdge',
        short_edge_lengths=[2177],
        max_size=2177),
    dict(type='LoadPanopticAnnotations'),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    dataset=dict(
        data_root=train_data_root,
        ann_file=f'training/{version}/panoptic/{ann_name}.json',
        data_prefix=dict(
            img_path='training/images',
            seg_map_path=f'training/{version}/panoptic'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=f'validation/{version}/panoptic/{ann_name}.json',
        data_prefix=dict(
            img_path='validation/images',
            seg_map_path=f'validation/{version}/panoptic'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Test-time augmentation (`tools/test.py CONFIG CKPT --tta`): flips at the
# test size (longest side 2177); for multi-scale testing list more long
# sides in tta_sizes. Ground truth is loaded at the original size.
tta_sizes = [2177]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='PanopticResizeShortestEdge',
                    short_edge_lengths=[size],
                    max_size=size) for size in tta_sizes
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadPanopticAnnotations')],
            [dict(type='PackPanopticInputs')]
        ])
]
# The evaluators of coco_panoptic.py: PQ, box and mask AP (pycocotools,
# against instances derived from the panoptic ground truth), mIoU.
