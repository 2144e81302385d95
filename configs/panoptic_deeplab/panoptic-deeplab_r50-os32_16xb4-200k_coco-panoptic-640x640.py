# The model-zoo R-50 os32 Panoptic-DeepLab (the original's layout) on COCO
# panoptic: 133 classes, 16 GPUs x 4 images, Adam 5e-4, 200k iterations,
# post-processing of deeplab2's COCO configs (stuff area 4096, NMS kernel
# 41; top-k 200 and center threshold 0.1 as in _base_). Aims at deeplab2's
# ResNet-50 os32 COCO result (see README.md).
_base_ = [
    '../_base_/models/panoptic_deeplab_r50.py',
    '../_base_/datasets/coco_panoptic.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_200k_adam_poly.py'
]
model = dict(
    decode_head=dict(num_classes=133),
    post_processor=dict(nms_kernel=41, stuff_area=4096))
