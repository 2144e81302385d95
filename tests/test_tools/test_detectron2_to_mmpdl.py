"""Converting detectron2 Panoptic-DeepLab checkpoints, for its four rows.

The fixtures ``tests/data/detectron2_keys/<row>.json`` list every tensor of
detectron2's ``PanopticDeepLab`` state dict with its shape (written by
``tools/model_converters/verify_against_detectron2.py --dump-keys`` from
detectron2's code). A fake checkpoint gives tensor number ``i`` the
constant value ``i`` (expanded: no memory); after conversion each mmpdl
tensor must hold the value of the detectron2 tensor it was meant to get.
The full numerical check against detectron2 runs when
``MMPDL_DETECTRON2_REPO`` names a detectron2 checkout.
"""
import hashlib
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine import Config

from mmpdl.converters.detectron2 import (NUM_BATCHES, convert_weights,
                                         detectron2_to_mmpdl)
from mmpdl.converters.key_rules import KeyMappingError
from mmpdl.utils.safe_load import load_numpy_pickle
from .detectron2_fixtures import (ROOT, fake_state, load_fixture,
                                  run_verification, value_of,
                                  write_coco_categories)
from repo import load_script

TOOL = load_script('tools/model_converters/detectron2_to_mmpdl.py')
ROWS = load_script('tools/model_converters/verify_against_detectron2.py').ROWS
ROW = {row.name: row for row in ROWS}
# detectron2's parameter counts (sum of its model.parameters())
PARAM_COUNTS = {
    'r50-dc5': 59646390,
    'r52-dc5': 59770166,
    'r52-dc5-dsconv': 30271350,
    'r52-dc5-dsconv-coco': 30300648,
}
# detectron2 key -> the mmpdl key that must receive it, written out by hand
# (independently of the converter's rules); rows lacking a key skip it
STEM_SPOTS = {
    'basic': {
        'backbone.stem.conv1.norm.bias': 'backbone.bn1.bias',
        'backbone.stem.conv1.weight': 'backbone.conv1.weight',
    },
    'deep': {
        'backbone.stem.conv1.norm.bias': 'backbone.stem.1.bias',
        'backbone.stem.conv2.norm.running_var': 'backbone.stem.4.running_var',
        'backbone.stem.conv3.weight': 'backbone.stem.6.weight',
    }
}
SPOTS = {
    'backbone.res2.0.shortcut.weight':
    'backbone.layer1.0.downsample.0.weight',
    'backbone.res5.2.conv3.norm.weight':
    'backbone.layer4.2.bn3.weight',
    'backbone.res3.1.conv2.weight':
    'backbone.layer2.1.conv2.weight',
    'sem_seg_head.decoder.res5.project_conv.convs.0.norm.running_mean':
    'decode_head.semantic_decoder.aspp.aspp_convs.0.bn.running_mean',
    'sem_seg_head.decoder.res5.project_conv.convs.3.weight':
    'decode_head.semantic_decoder.aspp.aspp_convs.3.conv.weight',
    'ins_embed_head.decoder.res5.project_conv.convs.2.pointwise.weight':
    'decode_head.instance_decoder.aspp.aspp_convs.2.pointwise_conv.conv.'
    'weight',
    'sem_seg_head.decoder.res5.project_conv.convs.1.depthwise.norm.bias':
    'decode_head.semantic_decoder.aspp.aspp_convs.1.depthwise_conv.bn.bias',
    'sem_seg_head.decoder.res5.project_conv.convs.4.1.bias':
    'decode_head.semantic_decoder.aspp.image_pool.1.conv.bias',
    'ins_embed_head.decoder.res5.project_conv.project.norm.weight':
    'decode_head.instance_decoder.aspp.project.0.bn.weight',
    'sem_seg_head.decoder.res3.project_conv.weight':
    'decode_head.semantic_decoder.project.0.conv.weight',
    'ins_embed_head.decoder.res2.project_conv.norm.bias':
    'decode_head.instance_decoder.project.1.bn.bias',
    'sem_seg_head.decoder.res2.fuse_conv.1.weight':
    'decode_head.semantic_decoder.fuse.1.1.conv.weight',
    'ins_embed_head.decoder.res3.fuse_conv.depthwise.norm.running_mean':
    'decode_head.instance_decoder.fuse.0.depthwise_conv.bn.running_mean',
    'sem_seg_head.head.1.norm.weight':
    'decode_head.semantic_head.sem_seg.0.1.bn.weight',
    'sem_seg_head.head.pointwise.weight':
    'decode_head.semantic_head.sem_seg.0.pointwise_conv.conv.weight',
    'sem_seg_head.predictor.bias':
    'decode_head.semantic_head.sem_seg.1.bias',
    'ins_embed_head.center_head.1.norm.bias':
    'decode_head.instance_head.center.0.1.bn.bias',
    'ins_embed_head.center_predictor.weight':
    'decode_head.instance_head.center.1.weight',
    'ins_embed_head.offset_head.0.weight':
    'decode_head.instance_head.offset.0.0.conv.weight',
    'ins_embed_head.offset_head.depthwise.weight':
    'decode_head.instance_head.offset.0.depthwise_conv.conv.weight',
    'ins_embed_head.offset_predictor.bias':
    'decode_head.instance_head.offset.1.bias',
}


def _config(row_name):
    return osp.join(ROOT, ROW[row_name].config)


@pytest.mark.parametrize('row_name', list(ROW))
def test_every_key_of_every_row(tmp_path, row_name):
    fixture = load_fixture(row_name)
    assert fixture['num_parameters'] == PARAM_COUNTS[row_name]
    state = fake_state(fixture)
    index = {name: i for i, name in enumerate(state)}
    # a .pth of detectron2's trainer: 'model' entry beside trainer state
    src = tmp_path / 'model_0089999.pth'
    torch.save(dict(model=state, iteration=89999), src)
    dst = tmp_path / 'mmpdl.pth'
    args = [str(src), str(dst), '--config', _config(row_name)]
    if 'coco' in row_name:  # COCO's classes come from its JSON
        args += [
            '--categories',
            write_coco_categories(tmp_path / 'categories.json')
        ]
    assert TOOL.main(args) == 0

    converted = torch.load(dst, weights_only=True)
    meta, result = converted['meta'], converted['state_dict']
    assert meta['source_sha256'] == hashlib.sha256(
        src.read_bytes()).hexdigest()
    assert meta['converted_for_config'] == osp.basename(ROW[row_name].config)
    num_classes, num_things = (133, 80) if 'coco' in row_name else (19, 8)
    assert len(meta['dataset_meta']['classes']) == num_classes
    assert len(meta['dataset_meta']['thing_ids']) == num_things
    # a bijection onto the model's weights and counters
    is_counter = NUM_BATCHES
    assert sorted(
        value_of(v) for k, v in result.items()
        if not k.endswith(is_counter)) == sorted(i for k, i in index.items()
                                                 if not k.endswith(is_counter))
    assert sorted(
        value_of(v) for k, v in result.items() if k.endswith(is_counter)) == [
            i for k, i in index.items() if k.endswith(is_counter)
        ]
    checked = 0
    stem = 'basic' if row_name == 'r50-dc5' else 'deep'
    for d2_key, mmpdl_key in {**SPOTS, **STEM_SPOTS[stem]}.items():
        if d2_key in state:
            assert value_of(result[mmpdl_key]) == index[d2_key], mmpdl_key
            assert result[mmpdl_key].shape == state[d2_key].shape
            checked += 1
    assert checked >= 12


def test_reverse_round_trip_is_a_detectron2_pkl(tmp_path):
    row_name = 'r52-dc5-dsconv'
    state = fake_state(load_fixture(row_name))
    src, mmpdl = tmp_path / 'd2.pth', tmp_path / 'mmpdl.pth'
    torch.save({'model': state}, src)
    assert TOOL.main([str(src),
                      str(mmpdl), '--config',
                      _config(row_name)]) == 0
    back = tmp_path / 'model_final.pkl'
    assert TOOL.main(
        [str(mmpdl),
         str(back), '--config',
         _config(row_name), '--reverse']) == 0
    # plain data only: the restricted unpickler (arrays and containers)
    # reads it, as detectron2's plain pickle.load would
    data = load_numpy_pickle(str(back))
    assert set(data) == {'model', '__author__', 'matching_heuristics'}
    assert sorted(data['model']) == sorted(state)
    for key, tensor in state.items():
        array = data['model'][key]
        assert isinstance(array, np.ndarray), key
        assert array.shape == tuple(tensor.shape), key
        assert array.reshape(-1)[0] == value_of(tensor), key
    # and the .pkl converts forward again to the same mmpdl weights
    again = tmp_path / 'again.pth'
    assert TOOL.main([str(back),
                      str(again), '--config',
                      _config(row_name)]) == 0
    first = torch.load(mmpdl, weights_only=True)['state_dict']
    second = torch.load(again, weights_only=True)['state_dict']
    assert list(first) == list(second)
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_unmatched_keys_on_both_sides_are_listed(tmp_path, capsys):
    state = fake_state(load_fixture('r52-dc5'))
    del state['ins_embed_head.center_head.1.weight']
    state['sem_seg_head.extra_head.weight'] = torch.zeros(3)
    src, dst = tmp_path / 'bad.pth', tmp_path / 'out.pth'
    torch.save({'model': state}, src)
    assert TOOL.main([str(src), str(dst), '--config', _config('r52-dc5')]) == 1
    err = capsys.readouterr().err
    assert 'sem_seg_head.extra_head.weight' in err
    assert 'decode_head.instance_head.center.0.1.conv.weight' in err
    assert 'nothing was written' in err and not dst.exists()
    # DSConv weights with the regular config: every head key differs
    dsconv = fake_state(load_fixture('r52-dc5-dsconv'))
    with pytest.raises(KeyMappingError) as info:
        convert_weights(dsconv, Config.fromfile(_config('r52-dc5')), 'dsconv')
    problems = info.value.problems
    assert 'model keys not filled by the checkpoint' in problems
    assert not dst.exists()


def test_malicious_pkl_is_refused_without_running(tmp_path, capsys):
    marker = tmp_path / 'marker'

    class Evil:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    src, dst = tmp_path / 'model_final_evil.pkl', tmp_path / 'out.pth'
    src.write_bytes(
        pickle.dumps({
            'model': {
                'backbone.stem.conv1.weight': np.zeros(3, np.float32)
            },
            '__author__': Evil()
        }))
    assert TOOL.main([str(src), str(dst), '--config', _config('r52-dc5')]) == 1
    err = capsys.readouterr().err
    assert err.startswith('refused:')
    assert str(src) in err and '.system' in err
    assert not marker.exists() and not dst.exists()


@pytest.mark.parametrize('zip_format', [True, False])
def test_malicious_pth_is_refused_without_running(tmp_path, capsys,
                                                  zip_format):
    # a trainer .pth (zip, or the pre-1.6 format) whose extra entry runs
    # os.system under a plain unpickler: torch.load(weights_only=True)
    # refuses it before anything runs
    marker = tmp_path / 'marker'

    class Evil:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    src, dst = tmp_path / 'model_final_evil.pth', tmp_path / 'out.pth'
    torch.save(
        {
            'model': {
                'backbone.stem.conv1.weight': torch.zeros(3)
            },
            'scheduler': Evil()
        },
        src,
        _use_new_zipfile_serialization=zip_format)
    assert TOOL.main([str(src), str(dst), '--config', _config('r52-dc5')]) == 1
    err = capsys.readouterr().err
    assert 'weights_only=True' in err and str(src) in err
    assert 'system' in err
    assert not marker.exists() and not dst.exists()


def test_missing_counters_become_zero(tmp_path):
    # detectron2's frozen norms (FrozenBatchNorm2d) have no counter
    state = fake_state(load_fixture('r52-dc5'))
    state = {
        k: v
        for k, v in state.items()
        if not (k.startswith('backbone.') and k.endswith(NUM_BATCHES))
    }
    result = convert_weights(state, Config.fromfile(_config('r52-dc5')),
                             'frozen')
    counters = [k for k in result if k.endswith(NUM_BATCHES)]
    assert all(result[k].item() == 0 for k in counters
               if k.startswith('backbone.'))
    assert any(result[k].item() > 0 for k in counters
               if k.startswith('decode_head.'))


def test_pixel_statistics_must_match_the_config(tmp_path):
    state = fake_state(load_fixture('r52-dc5'))
    state['pixel_mean'] = torch.tensor([103.53, 116.28, 123.675]).view(3, 1, 1)
    src, dst = tmp_path / 'bgr.pth', tmp_path / 'out.pth'
    torch.save({'model': state}, src)
    with pytest.raises(KeyMappingError, match='pixel_mean'):
        detectron2_to_mmpdl(str(src), str(dst), _config('r52-dc5'))
    assert not dst.exists()


@pytest.mark.skipif(
    not os.environ.get('MMPDL_DETECTRON2_REPO'),
    reason='set MMPDL_DETECTRON2_REPO to a detectron2 checkout')
def test_verification_against_detectron2():
    run = run_verification('--detectron2-repo',
                           os.environ['MMPDL_DETECTRON2_REPO'], '--rows',
                           'r52-dc5-dsconv')
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith('PASS')


def test_backbone_only_fills_the_r52_backbone_init_cfg_loads(tmp_path):
    """An ImageNet R-52 in detectron2's naming (prefixless, with a
    classifier) becomes the file the R-52 configs' backbone loads."""
    from mmengine.runner import load_checkpoint

    from mmpdl.registry import MODELS
    fixture = load_fixture('r52-dc5')
    backbone = {
        name[len('backbone.'):]: shape
        for name, shape in fixture['tensors'].items()
        if name.startswith('backbone.')
        and not name.endswith('num_batches_tracked')
    }
    state = fake_state(dict(tensors=backbone))
    state['linear.weight'] = torch.zeros(1000, 2048)
    src = tmp_path / 'R-52.pkl'
    src.write_bytes(
        pickle.dumps({
            'model': {
                k: v.numpy().copy()
                for k, v in state.items()
            },
            '__author__': 'test'
        }))
    dst = tmp_path / 'R-52_mmseg.pth'
    config = _config('r52-dc5')
    assert TOOL.main(
        [str(src), str(dst), '--config', config, '--backbone-only']) == 0

    cfg = Config.fromfile(config)
    cfg.model.backbone.pop('init_cfg')
    net = MODELS.build(cfg.model.backbone)
    load_checkpoint(net, str(dst), strict=True)
    ours = net.state_dict()
    # hand-picked spots of the mapping: stem conv/norm, a block, a shortcut
    spots = {
        'stem.conv2.weight': 'stem.3.weight',
        'stem.conv3.norm.running_var': 'stem.7.running_var',
        'res2.0.conv1.weight': 'layer1.0.conv1.weight',
        'res5.2.conv3.norm.bias': 'layer4.2.bn3.bias',
        'res4.0.shortcut.norm.weight': 'layer3.0.downsample.1.weight',
    }
    for d2_key, our_key in spots.items():
        assert torch.equal(ours[our_key], state[d2_key]), our_key
    assert len(ours) == len(backbone) + sum(
        k.endswith('num_batches_tracked') for k in ours)


def test_backbone_only_lists_what_does_not_fit(tmp_path, capsys):
    fixture = load_fixture('r52-dc5')
    src = tmp_path / 'R-50.pkl'  # a 7x7 stem for the deep-stem R-52 config
    state = {
        name[len('backbone.'):]: np.zeros(shape, np.float32)
        for name, shape in fixture['tensors'].items()
        if name.startswith('backbone.res')
    }
    state['stem.conv1.weight'] = np.zeros((64, 3, 7, 7), np.float32)
    src.write_bytes(pickle.dumps({'model': state}))
    dst = tmp_path / 'out.pth'
    assert TOOL.main([
        str(src),
        str(dst), '--config',
        _config('r52-dc5'), '--backbone-only'
    ]) == 1
    assert 'stem.conv1.weight' in capsys.readouterr().err
    assert not dst.exists()
