# Original: panoptic_deeplab_R101_os32_cityscapes.yaml.
_base_ = [
    '../_base_/models/panoptic_deeplab_r101.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
