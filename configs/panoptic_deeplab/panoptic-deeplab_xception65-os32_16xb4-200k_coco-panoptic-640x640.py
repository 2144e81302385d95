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
