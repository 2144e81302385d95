"""PanopticInferencer on files, folders, arrays and lists; saved outputs;
model names; bad input; CPU vs CUDA."""
import json

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from mmpdl.apis import PanopticInferencer, inference_model
from mmpdl.apis.inferencer_io import prediction_to_dict
from mmpdl.registry import INFERENCERS
from mmpdl.structures import PanopticDataSample
from repo import QUICKSTART


@pytest.fixture(scope='module')
def inferencer(tiny_checkpoint):
    return PanopticInferencer(QUICKSTART, tiny_checkpoint, device='cpu')


def test_file_array_folder_and_list_agree(inferencer, image_folder):
    path = str(image_folder / 'a.png')
    one = inferencer(path)['predictions']
    assert one['panoptic_seg'].shape == (64, 128)
    assert one['sem_seg'].shape == (64, 128)
    assert len(one['instances']) > 0, 'the fixture model must find things'
    # the same image as a BGR array
    arr = inferencer(mmcv.imread(path))['predictions']
    np.testing.assert_array_equal(arr['panoptic_seg'], one['panoptic_seg'])
    # a folder: its two images, sorted, not the text file
    both = inferencer(str(image_folder))['predictions']
    assert len(both) == 2 and inferencer.input_names == ['a', 'b']
    np.testing.assert_array_equal(both[0]['panoptic_seg'], one['panoptic_seg'])
    # a list of an array and a folder, in batches of 2
    mixed = inferencer([mmcv.imread(path), str(image_folder)], batch_size=2)
    assert inferencer.input_names == ['00000001', 'a', 'b']
    for pred, expected in zip(mixed['predictions'], [one, one, both[1]]):
        np.testing.assert_array_equal(pred['panoptic_seg'],
                                      expected['panoptic_seg'])


def test_batches_of_mixed_sizes(inferencer, image_folder):
    big = mmcv.imread(str(image_folder / 'a.png'))
    small = mmcv.imrescale(big, 0.75)
    images = [big, small, small, big]
    batched = inferencer(images, batch_size=2)['predictions']
    assert [p['sem_seg'].shape for p in batched] == [(64, 128), (48, 96),
                                                     (48, 96), (64, 128)]
    for pred, image in zip(batched, images):
        np.testing.assert_array_equal(
            pred['panoptic_seg'],
            inferencer(image)['predictions']['panoptic_seg'])


def test_matches_inference_model(inferencer, image_folder):
    path = str(image_folder / 'b.jpg')
    sample = inferencer(path, return_datasamples=True)['predictions']
    assert isinstance(sample, PanopticDataSample)
    expected = inference_model(inferencer.model, path)
    assert torch.equal(sample.pred_panoptic_seg.data,
                       expected.pred_panoptic_seg.data)
    plain = inferencer(path)['predictions']
    ids = [ins['id'] for ins in plain['instances']]
    assert ids == expected.pred_instances.instance_ids.tolist()
    for ins in plain['instances']:
        assert ins['area'] == int((plain['panoptic_seg'] == ins['id']).sum())
        assert ins['label'] == ins['id'] // 1000
        assert 0 <= ins['score_sem_x_ctr'] <= ins['score'] <= 1


def test_out_dir_pictures_and_predictions(inferencer, image_folder, tmp_path):
    path = str(image_folder / 'a.png')
    result = inferencer(
        path, out_dir=str(tmp_path), return_vis=True, opacity=1.0)
    picture = result['visualization']
    assert picture.shape == (64, 256, 3)
    # left panel: the image itself; the file holds the same picture
    np.testing.assert_array_equal(picture[:, :128],
                                  mmcv.imread(path, channel_order='rgb'))
    np.testing.assert_array_equal(
        mmcv.imread(str(tmp_path / 'vis' / 'a.png'), channel_order='rgb'),
        picture)
    pred = result['predictions']
    id_rgb = mmcv.imread(
        str(tmp_path / 'pred' / 'a_panoptic.png'),
        channel_order='rgb').astype(np.int64)
    decoded = id_rgb[..., 0] + 256 * id_rgb[..., 1] + 65536 * id_rgb[..., 2]
    np.testing.assert_array_equal(decoded, pred['panoptic_seg'])
    sem = mmcv.imread(str(tmp_path / 'pred' / 'a_sem.png'), 'unchanged')
    np.testing.assert_array_equal(sem, pred['sem_seg'])
    listed = json.loads((tmp_path / 'pred' / 'a_instances.json').read_text())
    assert listed == pred['instances']
    wide = inferencer(path, return_vis=True, with_center_offset=True)
    assert wide['visualization'].shape == (64, 512, 3)


def test_prediction_to_dict_by_hand():
    panoptic = torch.full((1, 2, 3), 255000)
    panoptic[0, 0, :2] = 13002
    panoptic[0, 1, 2] = 11001
    masks = torch.stack([panoptic[0] == 11001, panoptic[0] == 13002])
    sample = PanopticDataSample()
    sample.pred_panoptic_seg = PixelData(data=panoptic)
    sample.pred_sem_seg = PixelData(data=torch.zeros((1, 2, 3), dtype=int))
    sample.pred_instances = InstanceData(
        masks=masks,
        labels=torch.tensor([11, 13]),
        scores=torch.tensor([0.5, 0.75]),
        scores_sem_x_ctr=torch.tensor([0.25, 0.5]),
        instance_ids=torch.tensor([11001, 13002]))
    classes = [f'c{i}' for i in range(19)]
    out = prediction_to_dict(sample, classes)
    assert out['instances'] == [
        dict(
            id=11001,
            label=11,
            class_name='c11',
            score=0.5,
            score_sem_x_ctr=0.25,
            area=1),
        dict(
            id=13002,
            label=13,
            class_name='c13',
            score=0.75,
            score_sem_x_ctr=0.5,
            area=2)
    ]


def test_model_by_name_and_registry(tiny_checkpoint):
    name = QUICKSTART.split('/')[-1][:-3]
    built = INFERENCERS.build(
        dict(
            type='PanopticInferencer',
            model=name,
            weights=tiny_checkpoint,
            device='cpu'))
    assert built.model.dataset_meta['classes'][13] == 'car'
    with pytest.raises(FileNotFoundError, match='no-such-model'):
        PanopticInferencer('no-such-model', tiny_checkpoint)


def test_bad_inputs_are_named(inferencer, tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.png'):
        inferencer(str(tmp_path / 'nope.png'))
    text = tmp_path / 'notes.png'
    text.write_text('not an image')
    with pytest.raises(ValueError, match='notes.png'):
        inferencer(str(text))
    with pytest.raises(ValueError, match='float32.*uint8 BGR'):
        inferencer(np.zeros((8, 8), np.float32))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty'):
        inferencer(str(empty))
    with pytest.raises(ValueError, match='opacity'):
        inferencer(np.zeros((8, 8, 3), np.uint8), return_vis=True, opacity=2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_equals_cpu(inferencer, tiny_checkpoint, image_folder):
    path = str(image_folder / 'a.png')
    on_gpu = PanopticInferencer(QUICKSTART, tiny_checkpoint, device='cuda')
    assert next(on_gpu.model.parameters()).is_cuda
    cpu = inferencer(path)['predictions']
    gpu = on_gpu(path)['predictions']
    # float sums differ in the last bits between devices: near-ties of the
    # argmax may flip, nothing more
    assert (gpu['sem_seg'] == cpu['sem_seg']).mean() > 0.999
    assert (gpu['panoptic_seg'] == cpu['panoptic_seg']).mean() > 0.999
