# Original: panoptic_deeplab_MBNV2_100_os32_cityscapes_bs16_lr_x2.yaml:
# MobileNetV2 width 1.0, 8 GPUs x 2 images, lr 1e-4 (2x).
_base_ = [
    '../_base_/models/panoptic_deeplab_mobilenetv2.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
# the 19 Cityscapes classes (the classifier of this entry's checkpoints)
model = dict(decode_head=dict(num_classes=19))
