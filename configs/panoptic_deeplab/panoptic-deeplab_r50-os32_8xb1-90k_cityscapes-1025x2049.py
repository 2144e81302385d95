# Original: panoptic_deeplab_R50_os32_cityscapes.yaml (8 GPUs x 1 image,
# Adam lr 5e-5, BN momentum 0.01, 90k iterations, 1025x2049 crops).
_base_ = [
    '../_base_/models/panoptic_deeplab_r50.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_90k_adam_poly.py'
]
model = dict(
    backbone=dict(output_stride=32),
    decode_head=dict(
        in_channels=2048,
        in_index=3,
        low_level_channels=(1024, 512, 256),
        low_level_in_index=(2, 1, 0),
        atrous_rates=(3, 6, 9),
        semantic_branch=dict(low_level_projections=(128, 64, 32)),
        instance_branch=dict(low_level_projections=(64, 32, 16))))
