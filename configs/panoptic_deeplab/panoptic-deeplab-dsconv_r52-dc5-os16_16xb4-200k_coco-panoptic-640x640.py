# detectron2: panoptic_deeplab_R_52_os16_mg124_poly_200k_bs64_crop_640_640_
# coco_dsconv.yaml: R52-DC5 in detectron2's DSConv layout, 133 classes, no
# hard pixel mining (LOSS_TOP_K 1.0), the ASPP pooling kernel 640 // 16,
# every input padded to a multiple of 640 (SIZE_DIVISIBILITY 640: 640x640
# at test time, the long side being resized to 640), stuff area 4096, NMS
# kernel 41 (top-k 200, threshold 0.1 as in _base_). 64 images per iteration
# (16 GPUs x 4), Adam 5e-4, WarmupPolyLR (linear warmup from 0.001 over
# 1000 iterations) over 200k iterations (schedule_200k_adam_warmuppoly.py).
# Data: the COCO recipe of _base_ (short side 320-960, max 960, 640x640
# crops, sigma 8).
_base_ = [
    '../_base_/models/panoptic_deeplab_r52-dc5-os16.py',
    '../_base_/datasets/coco_panoptic.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_200k_adam_warmuppoly.py'
]
crop_size = (640, 640)
model = dict(
    size_divisor=640,
    data_preprocessor=dict(size_divisor=640),
    decode_head=dict(
        num_classes=133,
        fuse_conv='dsconv5x5',
        head_conv=dict(
            sem_seg='dsconv5x5', center='conv3x3x2', offset='dsconv5x5'),
        aspp_cfg=dict(
            depthwise_separable=True,
            pool_kernel_size=(crop_size[0] // 16, crop_size[1] // 16)),
        loss_semantic=dict(top_k_percent_pixels=1.0)),
    post_processor=dict(nms_kernel=41, stuff_area=4096))
# detectron2 crops without padding and pads the normalised batch with 0 to a
# multiple of 640 after the flip (SIZE_DIVISIBILITY); its targets are made on
# the unpadded crop and padded with the batch (ignore / 0 weights)
train_pipeline = [
    dict(t, pad=False) if t['type'] == 'PanopticRandomCrop' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
