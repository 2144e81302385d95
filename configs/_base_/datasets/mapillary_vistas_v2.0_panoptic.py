# Mapillary Vistas v2.0 panoptic (124 classes), the v1.2 setting with the
# v2.0 annotations (`--version 2.0` for the prepare script).
_base_ = './mapillary_vistas_v1.2_panoptic.py'
version = 'v2.0'
ann_name = 'panoptic_2020'
train_dataloader = dict(
    dataset=dict(
        ann_file=f'training/{version}/panoptic/{ann_name}.json',
        data_prefix=dict(seg_map_path=f'training/{version}/panoptic')))
val_dataloader = dict(
    dataset=dict(
        ann_file=f'validation/{version}/panoptic/{ann_name}.json',
        data_prefix=dict(seg_map_path=f'validation/{version}/panoptic')))
test_dataloader = val_dataloader
