"""init_model / inference_model on files, arrays and lists; bad input."""
import mmcv
import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm

from mmpdl.apis import inference_model, init_model
from mmpdl.datasets import render_scene
from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART


@pytest.fixture(scope='module')
def model_and_image(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('apis')
    register_all_modules()
    cfg = Config.fromfile(QUICKSTART)
    torch.manual_seed(0)
    net = revert_sync_batchnorm(MODELS.build(cfg.model))
    ckpt = str(tmp / 'model.pth')
    torch.save({'state_dict': net.state_dict(), 'meta': {}}, ckpt)
    rgb, _ = render_scene(48, 96, 5)
    img = str(tmp / 'scene.png')
    mmcv.imwrite(rgb[..., ::-1], img)
    return init_model(QUICKSTART, ckpt, device='cpu'), img


def test_path_array_and_list(model_and_image):
    model, img = model_and_image
    one = inference_model(model, img)
    assert one.pred_panoptic_seg.shape == (48, 96)
    assert one.pred_sem_seg.shape == (48, 96)
    arr = inference_model(model, mmcv.imread(img))
    assert torch.equal(arr.pred_panoptic_seg.data, one.pred_panoptic_seg.data)
    both = inference_model(model, [img, img])
    assert len(both) == 2
    assert model.dataset_meta['classes'][0] == 'road'


def test_bad_inputs_are_named(model_and_image, tmp_path):
    model, _ = model_and_image
    with pytest.raises(FileNotFoundError, match='nope.png'):
        inference_model(model, str(tmp_path / 'nope.png'))
    text = tmp_path / 'notes.png'
    text.write_text('not an image')
    with pytest.raises(ValueError, match='notes.png'):
        inference_model(model, str(text))
    with pytest.raises(FileNotFoundError, match='missing.py'):
        init_model('missing.py')
    with pytest.raises(FileNotFoundError, match='gone.pth'):
        init_model(QUICKSTART, str(tmp_path / 'gone.pth'))


def test_model_without_dataset_meta_is_named():
    model = init_model(Config.fromfile(QUICKSTART))
    model.dataset_meta = {}
    img = np.zeros((32, 64, 3), np.uint8)
    with pytest.raises(KeyError, match='the post-processor needs the dataset'):
        inference_model(model, img)
