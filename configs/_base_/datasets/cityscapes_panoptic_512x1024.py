# Cityscapes panoptic with detectron2's Panoptic-DeepLab training recipe
# (Base-PanopticDeepLab-OS16.yaml, panoptic_deeplab_R_52_os16_mg124_poly_90k_
# bs32_crop_512_1024.yaml): the short side drawn from 512, 640, ..., 2048
# (MIN_SIZE_TRAIN, "choice"; long side at most 4096), a random 512x1024 crop,
# flip; targets with detectron2's defaults (Gaussian sigma 10 at the rounded
# centroid, instances < 4096 px weighted 3, stuff ignored in the offset
# loss, crowd kept in the semantic loss). 4 images per GPU (IMS_PER_BATCH
# 32 on 8 GPUs). Test at 1024x2048 (MIN_SIZE_TEST 1024 / MAX_SIZE_TEST 2048:
# no resize). Resizing with Pillow as detectron2 (its bilinear filter
# widens on downscaling): the same draws give detectron2's pixels and
# targets (tools/model_converters/verify_training_against_detectron2.py).
_base_ = ['./cityscapes_panoptic.py']
crop_size = (512, 1024)
train_pipeline = [
    {{_base_.load_image}},
    {{_base_.load_annotations}},
    dict(
        type='PanopticResizeShortestEdge',
        short_edge_lengths=[
            512, 640, 704, 832, 896, 1024, 1152, 1216, 1344, 1408, 1536, 1664,
            1728, 1856, 1920, 2048
        ],
        max_size=4096,
        backend='pillow'),
    dict(type='PanopticRandomCrop', crop_size=crop_size),
    {{_base_.random_flip}},
    dict(
        type='GeneratePanopticTargets',
        sigma=10,
        small_instance_area=4096,
        small_instance_weight=3.0,
        ignore_stuff_in_offset=True,
        ignore_crowd_in_semantic=False,
        round_centers=True),
    {{_base_.pack_inputs}},
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
