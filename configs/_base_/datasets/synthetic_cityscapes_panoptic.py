# The built-in dataset (256x512 Cityscapes-format scenes), made by
# `python tools/dataset_converters/synthetic_cityscapes.py
# data/synthetic_cityscapes`. Sizes that the reference sets for 1024x2048
# images are scaled by the image size: crop 257x513 (1025x2049 / 4), small
# instances < 256 px (4096 / 16), Gaussian sigma 4.
_base_ = ['./cityscapes_panoptic.py']
data_root = 'data/synthetic_cityscapes/'
crop_size = (257, 513)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations'),
    dict(type='PanopticRandomResize', ratio_range=(0.5, 2.0), step=0.1),
    dict(type='PanopticRandomCrop', crop_size=crop_size),
    dict(type='PanopticRandomFlip', prob=0.5),
    dict(
        type='GeneratePanopticTargets',
        sigma=4,
        small_instance_area=256,
        small_instance_weight=3.0,
        ignore_stuff_in_offset=True,
        ignore_crowd_in_semantic=False),
    dict(type='PackPanopticInputs')
]
train_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
