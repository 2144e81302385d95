# Xception-65 os32 on Mapillary Vistas v1.2 (65 classes), the recipe of the
# R-50 row (16 GPUs x 4 images of 1025x1025, Adam 5e-4, poly, 200k
# iterations; see README.md for what is and is not the paper's).
_base_ = [
    '../_base_/models/panoptic_deeplab_xception65.py',
    '../_base_/datasets/mapillary_vistas_v1.2_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_200k_adam_poly.py'
]
model = dict(decode_head=dict(num_classes=65))

# The crop pads with this model's mean pixel (127.5):
# 127 in the uint8 image.
train_pipeline = [
    dict(t, pad_val=(127.5, ) * 3) if t['type'] == 'PanopticRandomCrop' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
