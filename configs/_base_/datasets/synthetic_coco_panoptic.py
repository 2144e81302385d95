# The built-in COCO-format dataset, made by
# `python tools/dataset_converters/synthetic_coco_panoptic.py
# data/synthetic_coco_panoptic`: the scenes of the built-in Cityscapes-format
# dataset in COCO-panoptic files, with a class list of their own (9 classes,
# 4 things, category ids 1-90 with gaps) and images of different sizes (up
# to 256x384). CocoPanopticDataset reads the classes, thing ids and colours
# from the JSON's `categories`. The pipeline is the built-in Cityscapes-format
# one (same scene scale) with a crop that fits these images.
_base_ = ['./synthetic_cityscapes_panoptic.py']
dataset_type = 'CocoPanopticDataset'
data_root = 'data/synthetic_coco_panoptic/'
crop_size = (257, 385)
train_pipeline = [
    {{_base_.load_image}},
    {{_base_.load_annotations}},
    {{_base_.scene_resize}},
    dict(type='PanopticRandomCrop', crop_size=crop_size),
    {{_base_.random_flip}},
    {{_base_.scene_targets}},
    {{_base_.pack_inputs}},
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_train.json',
        data_prefix=dict(
            img_path='train', seg_map_path='annotations/panoptic_train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_val.json',
        data_prefix=dict(
            img_path='val', seg_map_path='annotations/panoptic_val')))
test_dataloader = val_dataloader
# PQ (panopticapi's rules), COCO box/mask AP of instances derived from the
# panoptic ground truth (pycocotools), mIoU
val_evaluator = [
    dict(type='PanopticQualityMetric', split='val'),
    dict(type='CocoInstanceMetric'),
    dict(type='IoUMetric', iou_metrics=['mIoU'], prefix='semantic')
]
test_evaluator = val_evaluator
