# The small model of the built-in datasets: Panoptic-DeepLab with a
# torchvision ResNet-18 at output stride 32 and narrow decoders, trained from
# scratch (no pretrained weights), small enough to train on a CPU in minutes
# (tools/quickstart.sh).
_base_ = ['./panoptic_deeplab_r50.py']
model = dict(
    backbone=dict(depth=18, init_cfg=None),
    decode_head=dict(
        in_channels=512,
        low_level_channels=(256, 128, 64),
        semantic_branch=dict(
            aspp_channels=128,
            low_level_projections=(64, 32, 16),
            decoder_channels=128,
            head_channels=128),
        instance_branch=dict(
            aspp_channels=128,
            low_level_projections=(32, 16, 8),
            decoder_channels=64,
            head_channels=32),
        dropout_ratio=0.1),
    # The built-in scenes are about 256 px high: 2048 px at 1024x2048 is
    # 1/1024 of the image; the same share of a 256x512 image is 128 px.
    post_processor=dict(stuff_area=128))
