"""What inference takes: BGR, BGRA and grayscale uint8 arrays and files;
uint16, float and other arrays are refused with what is accepted.

The oracles: an RGBA input predicts what its colour channels alone
predict; a grayscale one what its value repeated into B, G, R predicts;
an array what OpenCV's reading of the same image as a file predicts.
Predictions are compared on the semantic logits (floats, equal only for
equal network inputs).
"""
import cv2
import numpy as np
import pytest
import torch

from mmpdl.apis import PanopticInferencer, inference_model, init_model
from mmpdl.datasets import render_scene
from mmpdl.datasets.transforms import to_bgr_uint8
from repo import QUICKSTART


@pytest.fixture(scope='module')
def model(tiny_checkpoint):
    return init_model(QUICKSTART, tiny_checkpoint)


@pytest.fixture(scope='module')
def bgr():
    rgb, _ = render_scene(40, 72, 6)
    return np.ascontiguousarray(rgb[..., ::-1])


def _logits(model, image):
    return inference_model(model, image).seg_logits.data


def test_to_bgr_uint8_rule_by_hand():
    bgr = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    assert to_bgr_uint8(bgr) is bgr
    bgra = np.concatenate([bgr, np.full((2, 3, 1), 9, np.uint8)], axis=2)
    assert to_bgr_uint8(bgra).tolist() == bgr.tolist()
    gray = np.array([[0, 7, 255], [1, 2, 3]], np.uint8)
    expected = [[[v] * 3 for v in row] for row in gray.tolist()]
    assert to_bgr_uint8(gray).tolist() == expected
    assert to_bgr_uint8(gray[..., None]).tolist() == expected
    assert to_bgr_uint8(gray).flags['C_CONTIGUOUS']


def test_bgra_array_and_file_predict_as_their_colours(model, bgr, tmp_path):
    alpha = np.random.default_rng(0).integers(0, 256, bgr.shape[:2], np.uint8)
    bgra = np.dstack([bgr, alpha])
    expected = _logits(model, bgr)
    assert torch.equal(_logits(model, bgra), expected)
    path = str(tmp_path / 'bgra.png')
    assert cv2.imwrite(path, bgra)
    assert torch.equal(_logits(model, path), expected)


def test_grayscale_array_and_file_predict_as_three_equal_channels(
        model, bgr, tmp_path):
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    expected = _logits(model, np.repeat(gray[..., None], 3, axis=2))
    assert not torch.equal(expected, _logits(model, bgr))
    assert torch.equal(_logits(model, gray), expected)
    assert torch.equal(_logits(model, gray[..., None]), expected)
    path = str(tmp_path / 'gray.png')
    assert cv2.imwrite(path, gray)
    assert torch.equal(_logits(model, path), expected)


@pytest.mark.parametrize(
    'dtype', [np.uint16, np.float32, np.float64, np.int32, np.int8, bool])
def test_other_dtypes_are_refused_saying_what_is_accepted(model, bgr, dtype):
    image = bgr.astype(dtype)
    name = np.dtype(dtype).name
    with pytest.raises(ValueError, match=f'dtype {name}.*uint8 BGR array'):
        inference_model(model, image)


@pytest.mark.parametrize('shape', [(40, 72, 2), (40, 72, 5), (1, 40, 72, 3),
                                   (40, ), (0, 72, 3)])
def test_other_shapes_are_refused(model, shape):
    with pytest.raises(ValueError, match='shape'):
        inference_model(model, np.zeros(shape, np.uint8))


def test_other_types_are_refused(model, bgr):
    with pytest.raises(TypeError, match='uint8 BGR array.*Tensor'):
        inference_model(model, torch.from_numpy(bgr))


def test_inferencer_converts_and_draws_the_converted_image(
        tiny_checkpoint, bgr):
    inferencer = PanopticInferencer(QUICKSTART, tiny_checkpoint, device='cpu')
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    alpha = np.full(bgr.shape[:2], 3, np.uint8)
    results = inferencer([bgr, np.dstack([bgr, alpha]), gray],
                         return_vis=True,
                         return_datasamples=True)
    logits = [p.seg_logits.data for p in results['predictions']]
    assert torch.equal(logits[1], logits[0])
    assert not torch.equal(logits[2], logits[0])
    gray_rgb = np.repeat(gray[..., None], 3, axis=2)
    width = bgr.shape[1]
    # the left half of a picture is the image, RGB
    assert np.array_equal(results['visualization'][1][:, :width],
                          bgr[..., ::-1])
    assert np.array_equal(results['visualization'][2][:, :width], gray_rgb)
    with pytest.raises(ValueError, match='dtype uint16.*uint8 BGR array'):
        inferencer(bgr.astype(np.uint16))
