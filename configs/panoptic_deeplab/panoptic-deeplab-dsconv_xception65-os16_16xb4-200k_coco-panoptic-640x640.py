# The original's tools_d2 (detectron2) config panoptic_deeplab_X_65_os16_
# mg124_poly_200k_bs64_crop_640_640_coco_dsconv.yaml: its Xception-65 model
# (_base_/models/panoptic_deeplab-dsconv_xception65-os16.py) with
# detectron2's COCO DSConv recipe (as the R52 row,
# panoptic-deeplab-dsconv_r52-dc5-os16_16xb4-200k_coco-panoptic-640x640.py):
# 133 classes, no hard pixel mining (LOSS_TOP_K 1.0), every input padded to
# a multiple of 640 (SIZE_DIVISIBILITY), stuff area 4096, NMS kernel 41, 64
# images per iteration (16 GPUs x 4), Adam 5e-4, WarmupPolyLR over 200k
# iterations; data: short side 320-960, max 960, 640x640 crops, sigma 8.
_base_ = [
    '../_base_/models/panoptic_deeplab-dsconv_xception65-os16.py',
    '../_base_/datasets/coco_panoptic.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_200k_adam_warmuppoly.py'
]
model = dict(
    size_divisor=640,
    data_preprocessor=dict(size_divisor=640),
    decode_head=dict(
        num_classes=133,
        # the 640x640 training crop // output stride 16
        aspp_cfg=dict(pool_kernel_size=(40, 40)),
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
