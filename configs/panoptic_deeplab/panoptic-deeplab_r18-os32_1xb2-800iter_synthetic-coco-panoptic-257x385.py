# The quickstart model and schedule on the built-in COCO-format dataset
# (40 train + 10 val images of up to 256x384, 9 classes, see
# tools/dataset_converters/synthetic_coco_panoptic.py). Not a model-zoo row:
# it shows a COCO-panoptic dataset with its own class list end to end: the
# classes, thing ids and the head's num_classes (9) come from the JSON.
_base_ = [
    '../_base_/models/panoptic_deeplab_r18_small.py',
    '../_base_/datasets/synthetic_coco_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_800iter_adam_poly.py'
]
train_dataloader = dict(batch_size=2, num_workers=2)
