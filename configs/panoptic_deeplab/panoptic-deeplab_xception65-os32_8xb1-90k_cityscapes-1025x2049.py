# Original: panoptic_deeplab_X65_os32_cityscapes_lr_x10.yaml: Xception-65,
# lr 5e-4 (10x), BN momentum 0.001, mean/std 0.5/0.5 (127.5 on 0-255).
_base_ = [
    '../_base_/models/panoptic_deeplab_xception65.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
optim_wrapper = dict(optimizer=dict(lr=5e-4))
# the 19 Cityscapes classes (the classifier of this entry's checkpoints)
model = dict(decode_head=dict(num_classes=19))

# The crop pads with this model's mean pixel (127.5):
# the original pads int(0.5 * 255) = 127.
train_pipeline = [
    dict(t, pad_val=(127.5, ) * 3) if t['type'] == 'PanopticRandomCrop' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
