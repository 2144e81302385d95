"""A checkpoint that leaves model weights unloaded or mismatched is refused
by init_model, PanopticInferencer and image_demo.py, with the count, the
first names and the config it was saved with."""

import pytest
import torch

from mmpdl.apis import PanopticInferencer, init_model
from repo import QUICKSTART, load_script

image_demo = load_script('tools/image_demo.py')

# a weight the quickstart model has, and one of the semantic classifier
BN_MEAN = 'backbone.bn1.running_mean'
CLASSIFIER = 'decode_head.semantic_head.sem_seg.1.weight'


@pytest.fixture(scope='module')
def weights(tiny_checkpoint):
    return torch.load(tiny_checkpoint)['state_dict']


def _save(tmp_path, state_dict, meta):
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': state_dict, 'meta': meta}, path)
    return path


def test_missing_unexpected_and_reshaped_weights_are_counted(
        weights, tmp_path):
    state = dict(weights)
    names = [k for k in state if k.startswith('backbone.layer4.')]
    for name in names:
        del state[name]
    state['aux_head.conv.weight'] = torch.zeros(3)
    classifier = state[CLASSIFIER]
    state[CLASSIFIER] = torch.zeros((5, ) + tuple(classifier.shape[1:]))
    path = _save(
        tmp_path, state,
        dict(experiment_name='panoptic-deeplab_r50-os32_8xb1-90k_'
             'cityscapes-1025x2049_20261129_101500'))
    with pytest.raises(ValueError) as err:
        init_model(QUICKSTART, path)
    message = str(err.value)
    assert 'other.pth' in message
    assert f'{len(names) + 2} weights would stay unloaded' in message
    assert (f'{len(names)} model weights are not in the checkpoint '
            f'(first: {", ".join(names[:3])})') in message
    assert '1 checkpoint weights are not in the model (first: ' \
           'aux_head.conv.weight)' in message
    assert (f'1 weights have another shape (first: {CLASSIFIER}: '
            f'checkpoint (5, {classifier.shape[1]}, 1, 1) vs model '
            f'{tuple(classifier.shape)})') in message
    assert ("saved by a run of config 'panoptic-deeplab_r50-os32_8xb1-90k_"
            "cityscapes-1025x2049'") in message


def test_converted_checkpoint_names_its_config(weights, tmp_path):
    state = {k: v for k, v in weights.items() if k != BN_MEAN}
    path = _save(tmp_path, state, dict(converted_for_config='other.py'))
    with pytest.raises(
            ValueError,
            match=r"1 model weights are not in the "
            rf"checkpoint \(first: {BN_MEAN}\).*converted for "
            "config 'other.py'"):
        PanopticInferencer(QUICKSTART, path)


def test_image_demo_refuses_it(weights, tmp_path, image_folder):
    state = {k: v for k, v in weights.items() if k != BN_MEAN}
    path = _save(tmp_path, state, {})
    with pytest.raises(ValueError, match='names no config in its meta'):
        image_demo.main([
            str(image_folder / 'a.png'), QUICKSTART, path, '--out-file',
            str(tmp_path / 'out.png')
        ])


def test_a_fitting_checkpoint_loads(tiny_checkpoint, weights):
    model = init_model(QUICKSTART, tiny_checkpoint)
    torch.testing.assert_close(model.state_dict()[CLASSIFIER],
                               weights[CLASSIFIER])
