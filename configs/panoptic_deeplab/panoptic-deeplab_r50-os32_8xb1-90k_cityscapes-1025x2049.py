# Original: panoptic_deeplab_R50_os32_cityscapes.yaml (8 GPUs x 1 image,
# Adam lr 5e-5, BN momentum 0.01, 90k iterations, 1025x2049 crops).
_base_ = [
    '../_base_/models/panoptic_deeplab_r50.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
# the 19 Cityscapes classes (the classifier of this entry's checkpoints)
model = dict(decode_head=dict(num_classes=19))
