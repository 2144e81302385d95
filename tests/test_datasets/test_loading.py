"""LoadPanopticAnnotations decodes id-colour PNGs with small (Cityscapes)
and large (COCO-style, up to 2^24) segment ids alike."""
import numpy as np
import pytest
from PIL import Image

from mmpdl.datasets import CITYSCAPES_PANOPTIC_META
from mmpdl.datasets.transforms import LoadPanopticAnnotations


def _write_png(path, ids):
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1)
    Image.fromarray(rgb.astype(np.uint8)).save(path)


@pytest.mark.parametrize('base', [26000, 9_000_000])  # table, then sort
def test_small_and_large_segment_ids(tmp_path, base):
    road, car_a, car_b, crowd = base + 7, base + 1, base + 2, base + 3
    ids = np.array([[road, road, car_a, car_b], [crowd, 0, car_a, car_b]])
    path = str(tmp_path / 'pan.png')
    _write_png(path, ids)
    info = [
        dict(id=car_b, category_id=26, iscrowd=0),
        dict(id=road, category_id=7, iscrowd=0),
        dict(id=car_a, category_id=26, iscrowd=0),
        dict(id=crowd, category_id=24, iscrowd=1),
    ]
    out = LoadPanopticAnnotations()(
        dict(
            pan_map_path=path,
            segments_info=info,
            ori_shape=(2, 4),
            panoptic_meta=CITYSCAPES_PANOPTIC_META))
    # road 0, car 13 (instances numbered in segments_info order), person 11
    assert out['gt_panoptic_seg'].tolist() == [[0, 0, 13002, 13001],
                                               [11000, 255000, 13002, 13001]]
    assert out['gt_seg_map'].tolist() == [[0, 0, 13, 13], [11, 255, 13, 13]]


def test_missing_dataset_meta_is_named(tmp_path):
    path = str(tmp_path / 'pan.png')
    _write_png(path, np.array([[7]]))
    with pytest.raises(
            KeyError,
            match="LoadPanopticAnnotations input needs .*panoptic metadata"):
        LoadPanopticAnnotations()(
            dict(pan_map_path=path, segments_info=[], ori_shape=(1, 1)))
