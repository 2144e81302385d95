# A small Panoptic-DeepLab for CPU runs and small datasets: the model-zoo
# layout (panoptic_deeplab_r50.py) with a torchvision ResNet-18 at output
# stride 32, trained from scratch, and narrow decoders. The quickstart and
# the worked example of docs/custom_dataset.md use it.
_base_ = './panoptic_deeplab_r50.py'
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
        dropout_ratio=0.1))
