# detectron2: panoptic_deeplab_R_52_os16_mg124_poly_90k_bs32_crop_512_1024
# .yaml (R52-DC5, regular layout: two 3x3 convs in the decoder and heads).
# Everything but the class count is in the _base_ files: the model as
# detectron2 builds it, its Cityscapes recipe (short side 512-2048, 512x1024
# crops, 32 images per iteration) and its schedule (Adam 1e-3, WarmupPolyLR,
# 90k iterations).
_base_ = [
    '../_base_/models/panoptic_deeplab_r52-dc5-os16.py',
    '../_base_/datasets/cityscapes_panoptic_512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_warmuppoly.py'
]
# the 19 Cityscapes classes (the classifier of this entry's checkpoints)
model = dict(decode_head=dict(num_classes=19))
