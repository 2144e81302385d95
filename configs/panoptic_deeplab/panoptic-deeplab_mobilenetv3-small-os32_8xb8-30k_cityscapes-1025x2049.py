# deeplab2 (github.com/google-research/deeplab2):
# configs/cityscapes/panoptic_deeplab/mobilenet_v3_small_os32.textproto.
# The MobileNetV3-Large os32 recipe with torchvision's MobileNetV3-Small: the
# low-level features are the depthwise activations of `features.3` (res3,
# stride 8, 88 channels) and `features.1` (res2, stride 4, 16 channels); the
# ASPP reads the 576-channel last conv.
_base_ = [
    './panoptic-deeplab_mobilenetv3-large-os32_8xb8-30k_cityscapes-'
    '1025x2049.py'
]
model = dict(
    backbone=dict(
        arch='small',
        out_indices=(1, 3, 8, 12),
        init_cfg=dict(checkpoint='https://download.pytorch.org/models/'
                      'mobilenet_v3_small-047dcff4.pth')),
    decode_head=dict(in_channels=576, low_level_channels=(88, 16)))
