# The original's tools_d2 (detectron2) config panoptic_deeplab_X_65_os16_
# mg124_poly_90k_bs32_crop_512_1024_dsconv.yaml: its Xception-65 model
# (_base_/models/panoptic_deeplab-dsconv_xception65-os16.py) with
# detectron2's Cityscapes recipe and schedule (see
# panoptic-deeplab-dsconv_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py).
_base_ = [
    '../_base_/models/panoptic_deeplab-dsconv_xception65-os16.py',
    '../_base_/datasets/cityscapes_panoptic_512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_warmuppoly.py'
]
# the 19 Cityscapes classes (the classifier of this entry's checkpoints)
model = dict(decode_head=dict(num_classes=19))

# The crop pads with this model's mean pixel (128.0):
# 128 in the uint8 image.
train_pipeline = [
    dict(t, pad_val=(128.0, ) * 3) if t['type'] == 'PanopticRandomCrop' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
