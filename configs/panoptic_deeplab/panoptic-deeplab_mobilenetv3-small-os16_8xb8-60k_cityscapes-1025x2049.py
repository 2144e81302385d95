# deeplab2 (github.com/google-research/deeplab2):
# configs/cityscapes/panoptic_deeplab/mobilenet_v3_small_os16.textproto.
# The MobileNetV3-Large os16 recipe with torchvision's MobileNetV3-Small (its
# features as in the Small os32 config) and no warmup.
_base_ = [
    './panoptic-deeplab_mobilenetv3-large-os16_8xb8-60k_cityscapes-'
    '1025x2049.py'
]
max_iters = 60000
model = dict(
    backbone=dict(
        arch='small',
        out_indices=(1, 3, 8, 12),
        init_cfg=dict(checkpoint='https://download.pytorch.org/models/'
                      'mobilenet_v3_small-047dcff4.pth')),
    decode_head=dict(in_channels=576, low_level_channels=(88, 16)))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters + 1,  # deeplab2's poly over max_iters steps
        by_epoch=False)
]
