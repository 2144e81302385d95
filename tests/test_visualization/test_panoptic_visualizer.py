"""PanopticLocalVisualizer and the colour maps: panel layout, colours of
stuff, instances and void, contours, storage."""
import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmpdl.datasets.cityscapes_meta import CITYSCAPES_META
from mmpdl.structures import PanopticDataSample
from mmpdl.visualization import (PanopticLocalVisualizer, heatmap_to_rgb,
                                 instance_shade, offset_to_rgb)

ROAD = np.array([128, 64, 128])
CAR = np.array([0, 0, 142])
GRAY = 100


def _scene():
    """20x40: road | car 13001 | car 13002 | void, 10 columns each."""
    panoptic = np.full((20, 40), 255000, np.int64)
    panoptic[:, :10] = 0
    panoptic[:, 10:20] = 13001
    panoptic[:, 20:30] = 13002
    image = np.full((20, 40, 3), GRAY, np.uint8)
    return image, panoptic


def _visualizer(name, **kwargs):
    vis = PanopticLocalVisualizer(name=name, **kwargs)
    vis.dataset_meta = CITYSCAPES_META
    return vis


def test_colours_of_stuff_instances_void_and_contours():
    image, panoptic = _scene()
    vis = _visualizer('vis_colours', alpha=1.0)
    drawn = vis.draw_panoptic(image, panoptic)
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    np.testing.assert_array_equal(drawn[15, 5], ROAD)
    np.testing.assert_array_equal(drawn[15, 14], CAR)  # first car: its class
    np.testing.assert_array_equal(drawn[15, 24], [0, 0, 78])  # 0.55 shade
    np.testing.assert_array_equal(drawn[15, 35], [GRAY] * 3)  # void: image
    np.testing.assert_array_equal(drawn[15, 10], [255, 255, 255])  # contour
    np.testing.assert_array_equal(drawn[15, 29], [255, 255, 255])
    # the class name (white, anti-aliased) is written inside the first
    # car's box near its top, where red was 0
    assert drawn[1:10, 11:19, 0].max() > 150
    assert drawn[12:19, 11:19, 0].max() == 0
    half = _visualizer('vis_half', alpha=0.5).draw_panoptic(image, panoptic)
    np.testing.assert_array_equal(half[15, 5], (GRAY + ROAD) // 2)


def test_instance_shades_are_distinct():
    shades = {tuple(instance_shade(CAR, i).astype(int)) for i in range(16)}
    assert len(shades) == 16


def test_heatmap_and_offset_colours():
    hot = heatmap_to_rgb(np.array([[0.0, 1.0]]))
    assert hot[0, 0, 2] > hot[0, 0, 0] and hot[0, 1, 0] > hot[0, 1, 2]
    offset = np.zeros((2, 1, 3), np.float32)
    offset[1, 0, 0] = -5  # left
    offset[1, 0, 1] = 5  # right
    rgb = offset_to_rgb(offset)
    assert rgb[0, 0, 0] == 255 and rgb[0, 0, 1] == 0  # left: red
    assert rgb[0, 1, 1] == 255 and rgb[0, 1, 0] == 0  # right: cyan
    np.testing.assert_array_equal(rgb[0, 2], [0, 0, 0])  # zero: black


def _sample(panoptic):
    sample = PanopticDataSample()
    data = torch.from_numpy(panoptic)[None]
    sample.gt_panoptic_seg = PixelData(data=data)
    sample.pred_panoptic_seg = PixelData(data=data)
    sample.pred_center = PixelData(data=torch.rand(1, 20, 40))
    sample.pred_offset = PixelData(data=torch.randn(2, 20, 40))
    return sample


def test_panels_side_by_side_and_files(tmp_path):
    image, panoptic = _scene()
    sample = _sample(panoptic)
    vis = _visualizer(
        'vis_panels',
        alpha=1.0,
        save_dir=str(tmp_path),
        vis_backends=[dict(type='LocalVisBackend')])
    out = str(tmp_path / 'out.png')
    both = vis.add_datasample(
        'x', image, sample, with_center_offset=False, out_file=out)
    assert both.shape == (20, 120, 3)
    np.testing.assert_array_equal(both[:, :40], image)
    np.testing.assert_array_equal(both[:, 40:80],
                                  vis.draw_panoptic(image, panoptic))
    np.testing.assert_array_equal(mmcv.imread(out, channel_order='rgb'), both)
    pred_only = vis.add_datasample('y', image, sample, draw_gt=False, step=3)
    assert pred_only.shape == (20, 160, 3)  # image, pred, center, offset
    stored = tmp_path / 'vis_data' / 'vis_image' / 'y_3.png'
    np.testing.assert_array_equal(
        mmcv.imread(str(stored), channel_order='rgb'), pred_only)


def test_missing_dataset_meta_is_named():
    image, panoptic = _scene()
    vis = PanopticLocalVisualizer(name='vis_no_meta')
    with pytest.raises(
            KeyError,
            match='PanopticLocalVisualizer needs the dataset.*panoptic '
            'metadata'):
        vis.draw_panoptic(image, panoptic)


def test_draw_targets_panels_and_zero_weight_grey():
    image, panoptic = _scene()
    sample = PanopticDataSample()
    sample.gt_panoptic_seg = PixelData(data=torch.from_numpy(panoptic)[None])
    sample.gt_center = PixelData(data=torch.zeros(1, 20, 40))
    weights = torch.ones(1, 20, 40)
    weights[:, :, :10] = 0  # road: no center loss
    sample.gt_center_weights = PixelData(data=weights)
    drawn = _visualizer('vis_targets').draw_targets(image, sample)
    # image | ground truth | center heatmap, under a title strip
    assert drawn.shape[1] == 3 * 40 and drawn.shape[0] > 20
    center = drawn[-20:, 80:]
    assert (center[:, :10] == 128).all()  # zero weight: grey
    assert not (center[:, 12:18] == 128).all()  # weighted: heatmap colour
