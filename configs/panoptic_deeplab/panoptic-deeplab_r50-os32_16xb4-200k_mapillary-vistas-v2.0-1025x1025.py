# R-50 os32 on Mapillary Vistas v2.0 (124 classes), the v1.2 recipe.
_base_ = [
    '../_base_/models/panoptic_deeplab_r50.py',
    '../_base_/datasets/mapillary_vistas_v2.0_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_200k_adam_poly.py'
]
model = dict(decode_head=dict(num_classes=124))
