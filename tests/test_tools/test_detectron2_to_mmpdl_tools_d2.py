"""Converting the original's ``tools_d2`` checkpoints (Xception-65 and
HRNet-W48 in detectron2's Panoptic-DeepLab) with ``detectron2_to_mmpdl``.

The fixtures ``tests/data/detectron2_keys/<row>.json`` of the six tools_d2
rows list every tensor of the model tools_d2 builds (written by
``verify_against_detectron2.py --dump-keys --original-repo ...`` from the
original's and detectron2's code). As in ``test_detectron2_to_mmpdl.py`` a
fake checkpoint gives tensor number ``i`` the constant value ``i``; after
conversion each mmpdl tensor must hold the value of the tensor it was
meant to get (spots written out by hand below). With
``MMPDL_DETECTRON2_REPO`` and ``PDL_ORIGINAL_REPO`` naming checkouts of
detectron2 and of the original, the numerical check of the COCO
Xception-65 row runs too.
"""
import os
import os.path as osp
import zipfile

import pytest
import torch
from mmengine import Config

from mmpdl.converters.detectron2 import (convert_weights, detectron2_rules,
                                         detectron2_to_mmpdl)
from mmpdl.converters.key_rules import (KeyMappingError, convert_back,
                                        model_tensor_shapes)
from .detectron2_fixtures import (ROOT, fake_state, load_fixture,
                                  run_verification, value_of,
                                  write_coco_categories)
from repo import load_script

TOOL = load_script('tools/model_converters/detectron2_to_mmpdl.py')
TOOLS_D2_ROWS = load_script(
    'tools/model_converters/verify_against_detectron2.py').TOOLS_D2_ROWS
ROW = {row.name: row for row in TOOLS_D2_ROWS}
# parameters of the models tools_d2 builds (sum of model.parameters())
PARAM_COUNTS = {
    'x65-dc5': 74033318,
    'x65-dc5-dsconv': 44534502,
    'h48': 78657974,
    'h48-dsconv': 67727222,
    'x65-dc5-dsconv-coco': 44563800,
    'h48-dsconv-coco': 67756520,
}
# tools_d2 key -> the mmpdl key that must receive it, by hand; the backbone
# keeps the original's names, the heads are detectron2's (Xception-65:
# low-level res3, res2; HRNet-W48: res4, res3, res2, coarsest first);
# keys of the other head layout (regular / DSConv) are skipped
COMMON_SPOTS = {
    'backbone.conv1.weight':
    'backbone.conv1.weight',
    'backbone.bn1.running_var':
    'backbone.bn1.running_var',
    'sem_seg_head.decoder.res5.project_conv.convs.0.norm.running_mean':
    'decode_head.semantic_decoder.aspp.aspp_convs.0.bn.running_mean',
    'ins_embed_head.decoder.res5.project_conv.convs.4.1.weight':
    'decode_head.instance_decoder.aspp.image_pool.1.conv.weight',
    'sem_seg_head.decoder.res2.project_conv.norm.bias':
    'decode_head.semantic_decoder.project.{last}.bn.bias',
    'ins_embed_head.decoder.res3.project_conv.weight':
    'decode_head.instance_decoder.project.{res3}.conv.weight',
    'ins_embed_head.center_head.1.norm.weight':
    'decode_head.instance_head.center.0.1.bn.weight',
    'sem_seg_head.predictor.weight':
    'decode_head.semantic_head.sem_seg.1.'
    'weight',
    'ins_embed_head.offset_predictor.bias':
    'decode_head.instance_head.offset.1.bias',
}
BACKBONE_SPOTS = {
    'x65': {
        'backbone.block1.conv.weight':
        'backbone.block1.conv.weight',
        'backbone.block20.sep_conv3.block.bn_depth.running_mean':
        'backbone.block20.sep_conv3.block.bn_depth.running_mean',
    },
    'h48': {
        'backbone.stage4.2.branches.3.3.conv2.weight':
        'backbone.stage4.2.branches.3.3.conv2.weight',
        'backbone.transition3.3.0.0.weight':
        'backbone.transition3.3.0.0.weight',
        'sem_seg_head.decoder.res4.fuse_conv.depthwise.norm.bias':
        'decode_head.semantic_decoder.fuse.0.depthwise_conv.bn.bias',
        'ins_embed_head.decoder.res4.fuse_conv.0.weight':
        'decode_head.instance_decoder.fuse.0.0.conv.weight',
    },
}


def _config(row_name):
    return osp.join(ROOT, ROW[row_name].config)


def _spots(row_name):
    h48 = row_name.startswith('h48')
    spots = {
        k: v.format(last=2 if h48 else 1, res3=1 if h48 else 0)
        for k, v in COMMON_SPOTS.items()
    }
    spots.update(BACKBONE_SPOTS['h48' if h48 else 'x65'])
    return spots


@pytest.mark.parametrize('row_name', list(ROW))
def test_every_key_of_every_tools_d2_row(tmp_path, row_name):
    fixture = load_fixture(row_name)
    assert fixture['source'] == 'tools_d2'
    assert fixture['num_parameters'] == PARAM_COUNTS[row_name]
    state = fake_state(fixture)
    index = {name: i for i, name in enumerate(state)}
    legacy = row_name.startswith('x65')
    if legacy:  # older checkpoints: mean/std kept, PyTorch < 1.6's format
        state['pixel_mean'] = torch.full((3, 1, 1), 128.0)
        state['pixel_std'] = torch.full((3, 1, 1), 128.0)
    src, dst = tmp_path / 'model_final.pth', tmp_path / 'mmpdl.pth'
    torch.save(
        dict(model=state, iteration=89999),
        src,
        _use_new_zipfile_serialization=not legacy)
    assert zipfile.is_zipfile(src) != legacy
    args = [str(src), str(dst), '--config', _config(row_name)]
    if 'coco' in row_name:
        args += ['--categories', write_coco_categories(tmp_path / 'c.json')]
    assert TOOL.main(args) == 0

    result = torch.load(dst, weights_only=True)['state_dict']
    # a bijection: every tools_d2 tensor lands once, nothing else is filled
    assert sorted(value_of(v)
                  for v in result.values()) == sorted(index.values())
    checked = 0
    for d2_key, mmpdl_key in _spots(row_name).items():
        if d2_key in state:
            assert value_of(result[mmpdl_key]) == index[d2_key], mmpdl_key
            assert result[mmpdl_key].shape == state[d2_key].shape
            checked += 1
    assert checked >= 10

    # --reverse's renaming gives back every tools_d2 key with its tensor
    cfg = Config.fromfile(_config(row_name))
    shapes = model_tensor_shapes(cfg)
    back = convert_back(result, shapes,
                        detectron2_rules(shapes, cfg.model.backbone.type),
                        'tools_d2')
    assert sorted(back) == sorted(index)
    assert all(value_of(back[k]) == i for k, i in index.items())


def test_tools_d2_checkpoint_with_a_resnet_config_is_refused(tmp_path, capsys):
    state = fake_state(load_fixture('x65-dc5-dsconv'))
    src, dst = tmp_path / 'x65.pth', tmp_path / 'out.pth'
    torch.save({'model': state}, src)
    r52 = osp.join(
        ROOT, 'configs', 'panoptic_deeplab',
        'panoptic-deeplab-dsconv_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py')
    assert TOOL.main([str(src), str(dst), '--config', r52]) == 1
    err = capsys.readouterr().err
    assert 'backbone.block1.conv.weight' in err  # unmatched source keys
    assert 'backbone.layer1.0.conv1.weight' in err  # unfilled model keys
    assert 'nothing was written' in err and not dst.exists()


def test_regular_checkpoint_with_the_dsconv_config_lists_the_heads():
    state = fake_state(load_fixture('h48'))
    cfg = Config.fromfile(_config('h48-dsconv'))
    with pytest.raises(KeyMappingError) as info:
        convert_weights(state, cfg, 'h48 regular')
    listed = [
        entry for entries in info.value.problems.values() for entry in entries
    ]
    assert any(e.startswith('sem_seg_head.head.0.weight') for e in listed)
    assert any(
        e.startswith('decode_head.semantic_head.sem_seg.0.'
                     'depthwise_conv') for e in listed)
    assert not any('backbone.' in e for e in listed)


def test_pixel_statistics_of_another_backbone_are_refused(tmp_path):
    state = fake_state(load_fixture('x65-dc5'))
    state['pixel_mean'] = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    src, dst = tmp_path / 'imagenet_mean.pth', tmp_path / 'out.pth'
    torch.save({'model': state}, src)
    with pytest.raises(KeyMappingError, match='pixel_mean'):
        detectron2_to_mmpdl(str(src), str(dst), _config('x65-dc5'))
    assert not dst.exists()


def test_backbone_only_and_unsupported_backbones_say_why(tmp_path, capsys):
    src, dst = tmp_path / 'x65.pth', tmp_path / 'out.pth'
    torch.save({'model': {'conv1.weight': torch.zeros(32, 3, 3, 3)}}, src)
    assert TOOL.main([
        str(src),
        str(dst), '--config',
        _config('x65-dc5'), '--backbone-only'
    ]) == 1
    err = capsys.readouterr().err
    assert 'Xception65' in err and 'init_cfg' in err and not dst.exists()
    mbnv2 = osp.join(
        ROOT, 'configs', 'panoptic_deeplab',
        'panoptic-deeplab_mobilenetv2-os32_8xb2-90k_cityscapes-1025x2049.py')
    assert TOOL.main([str(src), str(dst), '--config', mbnv2]) == 1
    err = capsys.readouterr().err
    assert 'TorchvisionMobileNetV2' in err and 'Xception65' in err
    assert not dst.exists()


@pytest.mark.skipif(
    not (os.environ.get('MMPDL_DETECTRON2_REPO')
         and os.environ.get('PDL_ORIGINAL_REPO')),
    reason='set MMPDL_DETECTRON2_REPO and PDL_ORIGINAL_REPO to checkouts of '
    'detectron2 and of the original')
def test_verification_against_tools_d2():
    run = run_verification('--detectron2-repo',
                           os.environ['MMPDL_DETECTRON2_REPO'],
                           '--original-repo', os.environ['PDL_ORIGINAL_REPO'],
                           '--rows', 'x65-dc5-dsconv-coco')
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith('PASS')
