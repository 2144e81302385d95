# The quickstart model: a small Panoptic-DeepLab (torchvision ResNet-18 at
# output stride 32, narrow decoders) trained from scratch, on one CPU or GPU,
# on the built-in synthetic Cityscapes-format dataset (40 train + 10 val
# images of 256x512, see tools/dataset_converters/synthetic_cityscapes.py).
# Not a model-zoo row: it exists so `bash tools/quickstart.sh` shows the
# whole job end to end in minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/panoptic_deeplab_r18_small.py',
    '../_base_/datasets/synthetic_cityscapes_panoptic.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_800iter_adam_poly.py'
]
train_dataloader = dict(batch_size=2, num_workers=2)
# No work_dir: tools/train.py uses work_dirs/<config name> unless --work-dir
# is given; tools/quickstart.sh names one per iteration count.
# the 19 Cityscapes classes, named so that the model builds without the data
model = dict(decode_head=dict(num_classes=19))
