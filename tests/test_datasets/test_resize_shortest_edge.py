"""PanopticResizeShortestEdge: detectron2's ResizeShortestEdge ('choice'),
checked on hand-computed sizes and label maps."""
import numpy as np
import pytest

from mmpdl.datasets.transforms import PanopticResizeShortestEdge


def sample(height, width):
    label = np.arange(height * width, dtype=np.int32).reshape(height, width)
    return dict(
        img=np.zeros((height, width, 3), np.uint8),
        gt_panoptic_seg=label,
        gt_seg_map=(label % 7).astype(np.uint8),
        seg_fields=['gt_seg_map', 'gt_panoptic_seg'])


@pytest.mark.parametrize(
    'shape,short,max_size,expected',
    [
        # 480x640: short 320 -> scale 2/3 -> 320 x 426.67 -> 320x427
        ((480, 640), 320, 960, (320, 427)),
        # short 960 would give 960x1280 > 960: long side 960, scale 1.5
        ((480, 640), 960, 960, (720, 960)),
        # portrait 500x375: short 640 -> 853.33 x 640 -> 853x640
        ((500, 375), 640, 960, (853, 640)),
        # COCO test resize (640, 640): long side 640 -> 427x640
        ((427, 640), 640, 640, (427, 640)),
        ((612, 612), 640, 640, (640, 640)),
    ])
def test_output_size_hand_computed(shape, short, max_size, expected):
    transform = PanopticResizeShortestEdge([short], max_size)
    out = transform(sample(*shape))
    assert out['img'].shape[:2] == expected
    assert out['gt_seg_map'].shape == expected
    assert out['gt_panoptic_seg'].shape == expected
    assert out['img_shape'] == expected
    assert out['scale'] == expected[::-1]
    assert out['scale_factor'] == pytest.approx(
        (expected[1] / shape[1], expected[0] / shape[0]))


def test_label_maps_use_nearest_neighbour():
    # doubling a 4x6 map: every pixel becomes a 2x2 block, no new values
    out = PanopticResizeShortestEdge([8], 100)(sample(4, 6))
    label = np.arange(24, dtype=np.int32).reshape(4, 6)
    np.testing.assert_array_equal(out['gt_panoptic_seg'],
                                  np.kron(label, np.ones((2, 2), np.int32)))
    assert out['gt_panoptic_seg'].dtype == np.int32


def test_draws_every_length():
    transform = PanopticResizeShortestEdge(range(320, 961, 64), 10_000)
    np.random.seed(0)
    shorts = {transform(sample(10, 20))['img'].shape[0] for _ in range(300)}
    assert shorts == set(range(320, 961, 64))


def test_bad_arguments():
    with pytest.raises(ValueError, match='short_edge_lengths'):
        PanopticResizeShortestEdge([], 960)
