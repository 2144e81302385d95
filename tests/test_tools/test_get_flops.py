"""tools/analysis_tools/get_flops.py on the os16 base model (small input)."""
import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'analysis_tools', 'get_flops.py')
BASE_MODEL = osp.join(ROOT, 'configs', '_base_', 'models',
                      'panoptic_deeplab_r50.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('get_flops', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_params_and_flops_follow_the_input_shape(capsys):
    tool = _load_tool()
    small = tool.count(BASE_MODEL, (65, 65))
    big = tool.count(BASE_MODEL, (129, 129))
    # the parameter count does not depend on the input size
    assert small['params'] == big['params'] > 23508032
    # every map grows by between (9 / 5)^2 = 3.24 (stride-16 maps) and
    # (129 / 65)^2 = 3.94 (input-size maps)
    assert 3.2 < big['flops'] / small['flops'] < 3.95
    tool.main([BASE_MODEL, '--shape', '33', '49'])
    out = capsys.readouterr().out
    assert 'Input shape: (1, 3, 33, 49)' in out
    assert f'Params: {small["params"]:,}' in out
