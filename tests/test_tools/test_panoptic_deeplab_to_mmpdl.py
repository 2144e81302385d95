"""Converting original Panoptic-DeepLab checkpoints, for all six rows.

The fixtures ``tests/data/original_keys/<row>.json`` list every parameter
and buffer of the original model with its shape (written by
``tools/model_converters/verify_against_original.py --dump-keys`` from the
original code). A fake checkpoint gives tensor number ``i`` the constant
value ``i`` (expanded, so even X101 costs no memory); after conversion each
mmpdl tensor must hold the value of the source tensor it was meant to get.
"""
import hashlib
import json
import os.path as osp
from collections import OrderedDict

import pytest
import torch

from mmpdl.converters.key_rules import KeyMappingError
from mmpdl.converters.original import original_to_mmpdl
from .detectron2_fixtures import fake_state, value_of
from repo import ROOT, load_script

TOOL = load_script('tools/model_converters/panoptic_deeplab_to_mmpdl.py')
FIXTURES = osp.join(ROOT, 'tests', 'data', 'original_keys')
ROWS = {row.name: row for row in TOOL.original_entries()}
PARAM_COUNTS = {  # DESIGN.md: parameter counts of the original models
    'r50-os32': 55308870,
    'r101-os32': 74300998,
    'x101-32x8d-os32': 118543174,
    'xception65-os32': 69632054,
    'mobilenetv2-os32': 7719814,
    'hrnetw48-os4': 72209222,
}
FIRST_CONV = {
    'r50-os32': 'backbone.conv1.weight',
    'r101-os32': 'backbone.conv1.weight',
    'x101-32x8d-os32': 'backbone.conv1.weight',
    'xception65-os32': 'backbone.conv1.weight',
    'mobilenetv2-os32': 'backbone.features.0.0.weight',
    'hrnetw48-os4': 'backbone.conv1.weight',
}
# original key -> the mmpdl key that must receive it (same in every row)
# (written out by hand, independently of the converter's rules)
HEAD_SPOTS = {
    'decoder.semantic_decoder.aspp.convs.1.0.weight':
    'decode_head.semantic_decoder.aspp.aspp_convs.1.conv.weight',
    'decoder.instance_decoder.aspp.convs.3.1.running_var':
    'decode_head.instance_decoder.aspp.aspp_convs.3.bn.running_var',
    'decoder.semantic_decoder.aspp.convs.4.aspp_pooling.1.weight':
    'decode_head.semantic_decoder.aspp.image_pool.1.conv.weight',
    'decoder.instance_decoder.aspp.project.1.bias':
    'decode_head.instance_decoder.aspp.project.0.bn.bias',
    'decoder.semantic_decoder.project.2.0.weight':
    'decode_head.semantic_decoder.project.2.conv.weight',
    'decoder.semantic_decoder.fuse.1.0.0.0.weight':
    'decode_head.semantic_decoder.fuse.1.depthwise_conv.conv.weight',
    'decoder.instance_decoder.fuse.0.0.0.1.running_mean':
    'decode_head.instance_decoder.fuse.0.depthwise_conv.bn.running_mean',
    'decoder.semantic_decoder.fuse.2.0.1.weight':
    'decode_head.semantic_decoder.fuse.2.pointwise_conv.conv.weight',
    'decoder.instance_decoder.fuse.1.0.2.weight':
    'decode_head.instance_decoder.fuse.1.pointwise_conv.bn.weight',
    'decoder.semantic_head.classifier.semantic.0.0.0.0.weight':
    'decode_head.semantic_head.sem_seg.0.depthwise_conv.conv.weight',
    'decoder.semantic_head.classifier.semantic.1.weight':
    'decode_head.semantic_head.sem_seg.1.weight',
    'decoder.instance_head.classifier.center.0.0.2.bias':
    'decode_head.instance_head.center.0.pointwise_conv.bn.bias',
    'decoder.instance_head.classifier.center.1.weight':
    'decode_head.instance_head.center.1.weight',
    'decoder.instance_head.classifier.offset.0.0.1.weight':
    'decode_head.instance_head.offset.0.pointwise_conv.conv.weight',
    'decoder.instance_head.classifier.offset.1.bias':
    'decode_head.instance_head.offset.1.bias',
}


def _fake_checkpoint(row_name):
    """(state dict with value i in tensor i, fixture dict)."""
    with open(osp.join(FIXTURES, row_name + '.json')) as f:
        fixture = json.load(f)
    tensors = dict(fixture['parameters'], **fixture['buffers'])
    return fake_state(dict(tensors=tensors)), fixture


def _config(row):
    return osp.join(ROOT, row.mmpdl_config)


@pytest.mark.parametrize('row_name', list(ROWS))
def test_convert_and_reverse_every_row(tmp_path, row_name):
    row = ROWS[row_name]
    state, fixture = _fake_checkpoint(row_name)
    assert fixture['num_parameters'] == PARAM_COUNTS[row_name]
    index = {name: i for i, name in enumerate(state)}
    src = tmp_path / 'original.pth'
    # the original's intermediate checkpoints: DDP prefix + 'state_dict'
    torch.save(
        {
            'state_dict': OrderedDict(
                ('module.' + k, v) for k, v in state.items()),
            'iter': 3
        }, src)
    dst = tmp_path / 'mmpdl.pth'
    assert TOOL.main([str(src), str(dst), '--config', _config(row)]) == 0

    converted = torch.load(dst, weights_only=True)
    meta, result = converted['meta'], converted['state_dict']
    assert meta['converted_for_config'] == osp.basename(row.mmpdl_config)
    assert meta['source_sha256'] == hashlib.sha256(
        src.read_bytes()).hexdigest()
    # a bijection: every source value arrives exactly once, shape intact
    assert len(result) == len(state)
    values = sorted(value_of(t) for t in result.values())
    assert values == list(range(len(state)))
    spots = dict(HEAD_SPOTS)
    spots[FIRST_CONV[row_name]] = FIRST_CONV[row_name]
    for original_key, mmpdl_key in spots.items():
        assert value_of(result[mmpdl_key]) == index[original_key], mmpdl_key
        assert result[mmpdl_key].shape == state[original_key].shape

    back = tmp_path / 'back.pth'
    assert TOOL.main(
        [str(dst), str(back), '--config',
         _config(row), '--reverse']) == 0
    restored = torch.load(back, weights_only=True)
    assert sorted(restored) == sorted(state)
    for key, tensor in state.items():
        assert torch.equal(restored[key], tensor), key


def test_r101_weights_with_r50_config_list_the_mismatches(tmp_path, capsys):
    state, _ = _fake_checkpoint('r101-os32')
    src, dst = tmp_path / 'r101.pth', tmp_path / 'out.pth'
    torch.save(state, src)
    assert TOOL.main(
        [str(src), str(dst), '--config',
         _config(ROWS['r50-os32'])]) == 1
    err = capsys.readouterr().err
    # R101 has blocks 6..22 in layer3, which R50 (blocks 0..5) lacks
    assert 'backbone.layer3.6.conv1.weight' in err
    # the command line shows the first names of each list and its length
    assert 'source keys whose new name the model lacks (306)' in err
    assert 'nothing was written' in err
    assert not dst.exists()
    with pytest.raises(KeyMappingError) as info:
        original_to_mmpdl(str(src), str(dst), _config(ROWS['r50-os32']))
    lacking = info.value.problems['source keys whose new name the model lacks']
    # 17 extra bottlenecks x (3 convs + 3 BNs x 5 tensors)
    assert len(lacking) == 17 * (3 + 3 * 5)


def test_shape_mismatch_is_listed(tmp_path):
    state, _ = _fake_checkpoint('mobilenetv2-os32')
    state['backbone.features.0.0.weight'] = torch.zeros(16, 3, 3, 3)
    src, dst = tmp_path / 'bad.pth', tmp_path / 'out.pth'
    torch.save(state, src)
    with pytest.raises(KeyMappingError, match='shape mismatches') as info:
        original_to_mmpdl(
            str(src), str(dst), _config(ROWS['mobilenetv2-os32']))
    assert info.value.problems['shape mismatches (checkpoint vs model)'] == [
        'backbone.features.0.0.weight (16, 3, 3, 3) -> '
        'backbone.features.0.0.weight (32, 3, 3, 3)'
    ]
    assert not dst.exists()


def test_not_a_checkpoint(tmp_path, capsys):
    src, dst = tmp_path / 'notes.pth', tmp_path / 'out.pth'
    src.write_text('not a checkpoint')
    assert TOOL.main(
        [str(src),
         str(dst), '--config',
         _config(ROWS['mobilenetv2-os32'])]) == 1
    err = capsys.readouterr().err
    assert 'not a PyTorch checkpoint' in err and str(src) in err
    assert not dst.exists()


def test_rows_are_the_six_entries_of_the_original():
    """Entries citing other codebases (deeplab2's MobileNetV3, COCO) are
    not rows of this converter, and no two rows share a name."""
    entries = TOOL.original_entries()
    assert len(entries) == len(ROWS) == 6
    assert sorted(ROWS) == sorted(PARAM_COUNTS)
