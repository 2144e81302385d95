# Cityscapes panoptic (gtFine), prepared by
# `python tools/dataset_converters/cityscapes.py data/cityscapes`.
# Reference training pipeline (the original's, pixel for pixel given the
# same draws: tools/model_converters/verify_training_against_original.py):
# random scale 0.5-2.0 (step 0.1; the image resized as float64 and truncated
# back to uint8, as the original), pad with the mean pixel (int(mean * 255))
# and crop 1025x2049 (an image smaller than the crop at a random position),
# flip, targets (sigma 8, small instances < 4096 px weighted 3 in the
# semantic loss, stuff ignored in the offset loss).
dataset_type = 'CityscapesPanopticDataset'
data_root = 'data/cityscapes/'
crop_size = (1025, 2049)
# The steps that do not depend on the image size have names, so that a
# dataset of another image size (synthetic_cityscapes_panoptic.py) takes them
# from here and states only the size-dependent ones (scale, crop, targets).
load_image = dict(type='LoadImageFromFile')
load_annotations = dict(type='LoadPanopticAnnotations')
random_flip = dict(type='PanopticRandomFlip', prob=0.5)
pack_inputs = dict(type='PackPanopticInputs')
train_pipeline = [
    load_image,
    load_annotations,
    dict(
        type='PanopticRandomResize',
        ratio_range=(0.5, 2.0),
        step=0.1,
        float_image=True),
    dict(type='PanopticRandomCrop', crop_size=crop_size, random_pad=True),
    random_flip,
    dict(
        type='GeneratePanopticTargets',
        sigma=8,
        small_instance_area=4096,
        small_instance_weight=3.0,
        ignore_stuff_in_offset=True,
        ignore_crowd_in_semantic=False),
    pack_inputs,
]
test_pipeline = [load_image, load_annotations, pack_inputs]
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='gtFine/cityscapes_panoptic_train.json',
        data_prefix=dict(
            img_path='leftImg8bit/train',
            seg_map_path='gtFine/cityscapes_panoptic_train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='gtFine/cityscapes_panoptic_val.json',
        data_prefix=dict(
            img_path='leftImg8bit/val',
            seg_map_path='gtFine/cityscapes_panoptic_val'),
        pipeline=test_pipeline))
# The test split has no public annotations: with
# `--cfg-options test_dataloader.dataset.ann_file=''
# test_dataloader.dataset.data_prefix.img_path=leftImg8bit/test`
# tools/test.py writes the benchmark server's files (docs/get_started.md).
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='CityscapesPanopticMetric'),
    dict(type='CityscapesInstanceMetric'),
    dict(type='IoUMetric', iou_metrics=['mIoU'], prefix='semantic')
]
test_evaluator = val_evaluator
# Test-time augmentation (`tools/test.py CONFIG CKPT --tta`): flips at the
# original scale; add scales, e.g. img_ratios = [0.75, 1.0, 1.25], for
# multi-scale testing. Ground truth is loaded at the original size.
img_ratios = [1.0]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True)
                for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadPanopticAnnotations')],
            [dict(type='PackPanopticInputs')]
        ])
]
