# Your own data in COCO-panoptic format, in the layout that
# tools/dataset_converters/labels_to_coco_panoptic.py writes in
# docs/custom_dataset.md:
#   <data_root>/images/{train,val}/...                   the images
#   <data_root>/annotations/panoptic_{train,val}.json    COCO-panoptic JSON
#   <data_root>/annotations/panoptic_{train,val}/*.png   RGB-id PNGs
# Classes, thing flags, colours and category ids come from the JSON's
# `categories`; so does the head's class count: the base models'
# `num_classes=None` is filled in by tools/train.py (train JSON),
# tools/test.py (test JSON) and init_model (the checkpoint's classes), see
# mmpdl/datasets/config_meta.py. A leaf config names the data root (and
# `ann_file`/`data_prefix` for another layout), nothing else. The best
# checkpoint is kept by the schedule's save_best='PQ' (here `panoptic/PQ`).
# The pipeline is the paper's (random scale 0.5-2.0, crop, flip); the crop,
# 513x513 here, is padded when an image is smaller.
_base_ = './coco_panoptic.py'
data_root = 'data/my_dataset/'
crop_size = (513, 513)
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
    dict(type='LoadPanopticAnnotations'),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/panoptic_train.json',
        data_prefix=dict(
            img_path='images/train',
            seg_map_path='annotations/panoptic_train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/panoptic_val.json',
        data_prefix=dict(
            img_path='images/val', seg_map_path='annotations/panoptic_val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# The evaluators of coco_panoptic.py: PQ, box and mask AP (pycocotools,
# against instances derived from the panoptic ground truth), mIoU.
