# Xception-65 os32 on COCO panoptic, the recipe of the R-50 row: 133 classes,
# 16 GPUs x 4 images, Adam 5e-4, 200k iterations, stuff area 4096, NMS
# kernel 41.
_base_ = [
    '../_base_/models/panoptic_deeplab_xception65.py',
    '../_base_/datasets/coco_panoptic.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_200k_adam_poly.py'
]
model = dict(
    decode_head=dict(num_classes=133),
    post_processor=dict(nms_kernel=41, stuff_area=4096))

# The crop pads with this model's mean pixel (127.5):
# 127 in the uint8 image.
train_pipeline = [
    dict(t, pad_val=(127.5, ) * 3) if t['type'] == 'PanopticRandomCrop' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
