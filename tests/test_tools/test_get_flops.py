"""tools/analysis_tools/get_flops.py on the R50 model (small input)."""
import os.path as osp

import pytest

from repo import ROOT, load_script

BASE_MODEL = osp.join(
    ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py')
BARE_MODEL = osp.join(ROOT, 'configs', '_base_', 'models',
                      'panoptic_deeplab_r50.py')


def test_params_and_flops_follow_the_input_shape(capsys):
    tool = load_script('tools/analysis_tools/get_flops.py', 'get_flops')
    small = tool.count(BASE_MODEL, (65, 65))
    big = tool.count(BASE_MODEL, (129, 129))
    # the parameter count does not depend on the input size
    assert small['params'] == big['params'] > 23508032
    # every map grows by between (5 / 3)^2 = 2.78 (stride-32 maps) and
    # (129 / 65)^2 = 3.94 (input-size maps)
    assert 2.77 < big['flops'] / small['flops'] < 3.95
    tool.main([BASE_MODEL, '--shape', '33', '49'])
    out = capsys.readouterr().out
    assert 'Input shape: (1, 3, 33, 49)' in out
    assert f'Params: {small["params"]:,}' in out


def test_a_model_without_class_count_or_dataset_says_what_to_set():
    tool = load_script('tools/analysis_tools/get_flops.py', 'get_flops')
    with pytest.raises(ValueError) as error:
        tool.count(BARE_MODEL, (33, 33))
    assert ('model.decode_head.num_classes=None stands for the class count'
            in str(error.value))
    assert '--cfg-options model.decode_head.num_classes=19' in str(error.value)
    counted = tool.count(BARE_MODEL, (33, 33),
                         {'model.decode_head.num_classes': 19})
    assert counted['params'] == tool.count(BASE_MODEL, (33, 33))['params']
