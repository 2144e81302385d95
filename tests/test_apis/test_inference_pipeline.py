"""One inference pipeline per config: ``inference_model`` and
``PanopticInferencer`` feed the model the same data from configs with only
``test_pipeline``, only ``test_dataloader.dataset.pipeline``, both
(different: the dataloader's wins) or neither (the default).

The two pipelines are told apart by what reaches the model: the test
dataloader's resizes the 48x96 image to 32x64, ``test_pipeline`` does not.
"""
import copy

import numpy as np
import pytest
import torch
from mmengine import Config

from mmpdl.apis import (PanopticInferencer, inference_model,
                        inference_pipeline_cfg, init_model)
from mmpdl.apis.inference_pipeline import drop_annotation_loading
from mmpdl.datasets import render_scene
from repo import QUICKSTART

#: without resizing, and with annotation loading (dropped at inference)
PLAIN = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations'),
    dict(type='PackPanopticInputs')
]
#: resizes the 48x96 image to 32x64
RESIZING = [
    dict(type='LoadImageFromFile'),
    dict(
        type='PanopticResizeShortestEdge',
        short_edge_lengths=[32],
        max_size=64),
    dict(type='LoadPanopticAnnotations'),
    dict(type='PackPanopticInputs')
]
#: which config keys hold a pipeline -> the image size the model gets
CASES = {
    'only_test_pipeline': (dict(test_pipeline=PLAIN), (48, 96)),
    'only_test_dataloader': (dict(dataloader=RESIZING), (32, 64)),
    'both_dataloader_wins': (dict(test_pipeline=PLAIN,
                                  dataloader=RESIZING), (32, 64)),
    'both_reversed': (dict(test_pipeline=RESIZING,
                           dataloader=PLAIN), (48, 96)),
    'neither_default': (dict(), (48, 96)),
}


def _config(pipelines):
    """The quickstart config with only the given pipelines."""
    cfg = copy.deepcopy(Config.fromfile(QUICKSTART).to_dict())
    cfg.pop('test_pipeline')
    cfg['test_dataloader']['dataset'].pop('pipeline')
    if 'test_pipeline' in pipelines:
        cfg['test_pipeline'] = pipelines['test_pipeline']
    if 'dataloader' in pipelines:
        cfg['test_dataloader']['dataset']['pipeline'] = pipelines['dataloader']
    return Config(cfg)


def _recording(model):
    """Record the batches ``model.test_step`` receives."""
    seen, step = [], model.test_step

    def test_step(data):
        seen.append(data)
        return step(data)

    model.test_step = test_step
    return seen


@pytest.fixture(scope='module')
def image():
    rgb, _ = render_scene(48, 96, 2)
    return np.ascontiguousarray(rgb[..., ::-1])


@pytest.mark.parametrize('case', sorted(CASES))
def test_inference_model_and_inferencer_feed_the_same_data(case, image):
    pipelines, size = CASES[case]
    cfg = _config(pipelines)
    torch.manual_seed(0)
    model = init_model(copy.deepcopy(cfg))
    by_api = _recording(model)
    sample = inference_model(model, image)
    with pytest.warns(UserWarning, match='random weights'):
        inferencer = PanopticInferencer(copy.deepcopy(cfg), device='cpu')
    by_inferencer = _recording(inferencer.model)
    inferencer(image, return_datasamples=True)
    (api_batch, ), (inferencer_batch, ) = by_api, by_inferencer
    api_input = api_batch['inputs'][0]
    assert tuple(api_input.shape) == (3, *size)
    assert torch.equal(api_input, inferencer_batch['inputs'][0])
    api_meta = api_batch['data_samples'][0].metainfo
    inferencer_meta = inferencer_batch['data_samples'][0].metainfo
    assert api_meta['img_shape'] == inferencer_meta['img_shape'] == size
    assert api_meta['ori_shape'] == inferencer_meta['ori_shape'] == (48, 96)
    # the prediction is at the image's size either way
    assert sample.pred_panoptic_seg.shape == (48, 96)


def test_loader_is_replaced_keeping_its_arguments():
    cfg = _config(dict(test_pipeline=PLAIN))
    cfg.test_pipeline[0] = dict(type='LoadImageFromFile', to_float32=True)
    steps = inference_pipeline_cfg(cfg)
    assert steps == [
        dict(type='LoadInferenceImage', to_float32=True),
        dict(type='PackPanopticInputs')
    ]
    assert cfg.test_pipeline[0]['type'] == 'LoadImageFromFile'  # a copy


def test_pipeline_without_a_loader_is_named():
    cfg = _config(dict(dataloader=[dict(type='PackPanopticInputs')]))
    expected = 'test_dataloader.dataset.pipeline.*LoadImageFromFile'
    with pytest.raises(KeyError, match=expected):
        inference_pipeline_cfg(cfg)


def test_annotation_loading_leaves_test_and_tta_pipelines():
    cfg = Config.fromfile(QUICKSTART)
    test = drop_annotation_loading(cfg.test_pipeline)
    assert [step['type']
            for step in test] == ['LoadImageFromFile', 'PackPanopticInputs']
    load, tta = drop_annotation_loading(cfg.tta_pipeline)
    assert load['type'] == 'LoadImageFromFile'
    # TestTimeAug: resize x flip x pack, no empty stage left behind
    assert [[t['type'] for t in stage]
            for stage in tta['transforms']] == [['Resize'],
                                                ['RandomFlip', 'RandomFlip'],
                                                ['PackPanopticInputs']]
