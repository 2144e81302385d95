"""Optimizer, parameter groups and LR curve of every schedule, against the
references' rules written out here.

The references' settings of each model-zoo row are the fixtures
``tests/data/training_parity/{original,detectron2}_solvers.json`` (written
from their YAMLs by ``verify_training_against_*.py --dump-solver``). Their
rules, as stated facts:

- LR (the original's ``segmentation/solver/lr_scheduler.py`` and the
  DeepLab project's of detectron2: the same ``WarmupPolyLR``): at iteration
  t (the step t = 0 is the first update) ``lr = BASE_LR * w(t) * (1 - t /
  MAX_ITER) ** POLY_LR_POWER`` with ``w(t) = WARMUP_FACTOR * (1 - a) + a``,
  ``a = t / WARMUP_ITERS`` below WARMUP_ITERS (linear) and 1 from there.
- Parameter groups (the original's ``build_optimizer``, detectron2's
  ``get_default_optimizer_params``): every trainable parameter gets
  ``BASE_LR`` and ``WEIGHT_DECAY``, a norm layer's ``WEIGHT_DECAY_NORM``,
  another bias ``BASE_LR * BIAS_LR_FACTOR`` and ``WEIGHT_DECAY_BIAS``.
- Adam with the fixture's betas and eps, no gradient clipping unless
  ``CLIP_GRADIENTS``; BN momentum ``BN_MOMENTUM`` (PyTorch's convention).

mmpdl's side is built as ``tools/train.py``'s Runner builds it (mmengine's
``build_optim_wrapper`` and ``PARAM_SCHEDULERS``, schedulers without ``end``
ending at ``train_cfg.max_iters``).
"""
import json
import os
import os.path as osp
import re

import pytest
import torch
from mmengine import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS

from mmpdl.registry import MODELS
from mmpdl.testing.training_parity import runner_param_schedulers
from mmpdl.utils import register_all_modules
from repo import ROOT

DATA = osp.join(ROOT, 'tests', 'data', 'training_parity')
CONFIGS = osp.join(ROOT, 'configs', 'panoptic_deeplab')
SCHEDULES = osp.join(ROOT, 'configs', '_base_', 'schedules')


def _rows(name):
    with open(osp.join(DATA, name)) as f:
        return json.load(f)['rows']


ROWS = dict(**_rows('original_solvers.json'),
            **_rows('detectron2_solvers.json'))
CHECKPOINTS = (0, 1, 999, 1000, 1001, 45000, 89999)


def warmup_poly_lr(solver, t):
    """The references' WarmupPolyLR at iteration ``t``."""
    warmup = 1.0
    if t < solver['WARMUP_ITERS']:
        assert solver['WARMUP_METHOD'] == 'linear'
        alpha = t / solver['WARMUP_ITERS']
        warmup = solver['WARMUP_FACTOR'] * (1 - alpha) + alpha
    assert solver['POLY_LR_CONSTANT_ENDING'] == 0
    return solver['BASE_LR'] * warmup * (
        1 - t / solver['MAX_ITER'])**solver['POLY_LR_POWER']


def lr_curve(cfg, iters=None):
    """LRs of iterations 0 .. iters - 1 (default: the whole run) of
    ``cfg``'s schedulers, stepped as mmengine's ParamSchedulerHook does."""
    register_all_modules()
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(
        torch.optim.Adam([param], lr=cfg.optim_wrapper.optimizer.lr))
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
        for s in runner_param_schedulers(cfg)
    ]
    lrs = []
    for _ in range(iters or cfg.train_cfg.max_iters):
        lrs.append(wrapper.get_lr()['lr'][0])
        for scheduler in schedulers:
            scheduler.step()
    return lrs


@pytest.mark.parametrize('config_name', sorted(ROWS))
def test_lr_curve_is_the_references(config_name):
    solver = ROWS[config_name]
    cfg = Config.fromfile(osp.join(CONFIGS, config_name))
    assert cfg.train_cfg.max_iters == solver['MAX_ITER']
    assert solver['LR_SCHEDULER_NAME'] == 'WarmupPolyLR'
    lrs = lr_curve(cfg)
    for t in CHECKPOINTS:
        assert lrs[t] == pytest.approx(warmup_poly_lr(solver, t), rel=1e-9), t
    # every iteration (the recursive form accumulates rounding only)
    worst = max(
        abs(lr - warmup_poly_lr(solver, t)) / warmup_poly_lr(solver, t)
        for t, lr in enumerate(lrs))
    assert worst < 1e-9


def _norm_types():
    return (torch.nn.modules.batchnorm._BatchNorm, torch.nn.GroupNorm,
            torch.nn.modules.instancenorm._InstanceNorm, torch.nn.LayerNorm,
            torch.nn.LocalResponseNorm)


def reference_groups(model, solver):
    """``{name: (lr, weight_decay)}`` by the references' rules."""
    out = {}
    for module_name, module in model.named_modules():
        for key, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            lr, decay = solver['BASE_LR'], solver['WEIGHT_DECAY']
            if isinstance(module, _norm_types()):
                decay = solver['WEIGHT_DECAY_NORM']
            elif key == 'bias':
                lr = solver['BASE_LR'] * solver['BIAS_LR_FACTOR']
                bias_decay = solver['WEIGHT_DECAY_BIAS']
                decay = decay if bias_decay is None else bias_decay
            name = f'{module_name}.{key}' if module_name else key
            out[name] = (lr, decay)
    return out


@pytest.mark.parametrize('config_name', sorted(ROWS))
def test_parameter_groups_and_optimizer_are_the_references(config_name):
    register_all_modules()
    solver = ROWS[config_name]
    cfg = Config.fromfile(osp.join(CONFIGS, config_name))
    cfg.model.backbone.init_cfg = None
    with torch.device('meta'):
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    optimizer = wrapper.optimizer
    assert type(optimizer).__name__.lower() == solver['OPTIMIZER'].lower()
    # one group holds them all: the references' per-parameter groups all
    # have the same values here
    assert len(optimizer.param_groups) == 1
    ours = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in optimizer.param_groups:
        assert tuple(group['betas']) == tuple(solver['ADAM_BETAS'])
        assert group['eps'] == solver['ADAM_EPS']
        assert not group['amsgrad']
        for p in group['params']:
            ours[names[id(p)]] = (group['lr'], group['weight_decay'])
    assert ours == reference_groups(model, solver)
    assert (cfg.optim_wrapper.get('clip_grad') is not None) == \
        solver['CLIP_GRADIENTS']
    momenta = {
        m.momentum
        for m in model.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    }
    assert momenta == {solver['BN_MOMENTUM']}
    gpus, per_gpu = map(int,
                        re.search(r'_(\d+)xb(\d+)-', config_name).groups())
    assert gpus * per_gpu == solver['IMS_PER_BATCH']
    assert cfg.train_dataloader.batch_size == per_gpu


def test_200k_poly_schedule_is_its_stated_formula():
    # schedule_200k_adam_poly.py: base * w(t) * (1 - t / 200000) ** 0.9,
    # w(t) = 0.001 + 0.999 * t / 1999 up to t = 1999, then 1
    cfg = Config.fromfile(osp.join(SCHEDULES, 'schedule_200k_adam_poly.py'))
    base = cfg.optim_wrapper.optimizer.lr
    lrs = lr_curve(cfg)
    assert len(lrs) == 200000
    for t, lr in enumerate(lrs):
        warmup = 0.001 + 0.999 * min(t, 1999) / 1999
        expected = base * warmup * (1 - t / 200000)**0.9
        assert lr == pytest.approx(expected, rel=1e-9), t


def test_200k_poly_schedule_meets_deeplab2_after_its_warmup():
    # deeplab2 (trainer_utils.WarmUp over PolynomialDecay): base * t / 2000
    # below 2000, then base * (1 - t / 200000) ** 0.9
    cfg = Config.fromfile(osp.join(SCHEDULES, 'schedule_200k_adam_poly.py'))
    base = cfg.optim_wrapper.optimizer.lr
    lrs = lr_curve(cfg, 2100)
    for t in range(2000, 2100):
        assert lrs[t] == pytest.approx(base * (1 - t / 200000)**0.9, rel=1e-9)


def test_quickstart_schedule_is_its_stated_formula():
    # schedule_800iter_adam_poly.py: no end, so the poly decay reaches 0 at
    # the last of train_cfg.max_iters iterations: base * (1 - t / 799) ** 0.9
    cfg = Config.fromfile(osp.join(SCHEDULES, 'schedule_800iter_adam_poly.py'))
    base = cfg.optim_wrapper.optimizer.lr
    lrs = lr_curve(cfg)
    assert len(lrs) == 800
    for t, lr in enumerate(lrs):
        assert lr == pytest.approx(
            base * (1 - t / 799)**0.9, rel=1e-9, abs=1e-15), t


def test_every_base_schedule_is_pinned():
    """Each file of configs/_base_/schedules has a test above (through a
    row of the fixtures or its own)."""
    used = {'schedule_200k_adam_poly.py', 'schedule_800iter_adam_poly.py'}
    for name in ROWS:
        text = open(osp.join(CONFIGS, name)).read()
        used.update(re.findall(r'schedules/(schedule_\w+\.py)', text))
    import os
    assert set(os.listdir(SCHEDULES)) <= used


@pytest.mark.parametrize('arch,max_iters,warmup', [('large-os32', 30000, 0),
                                                   ('small-os32', 30000, 0),
                                                   ('large-os16', 60000, 500),
                                                   ('small-os16', 60000, 0)])
def test_mobilenetv3_schedules_are_deeplab2s(arch, max_iters, warmup):
    """deeplab2's MobileNetV3 schedules (trainer_utils: a linear warmup
    base * t / warmup over PolynomialDecay(base, max_iters, power 0.9)):
    from the end of the warmup on, lr = base * (1 - t / max_iters) ** 0.9;
    during the warmup mmengine's product with the poly factor stays within
    0.75% + one warmup step of base * t / warmup."""
    name = next(
        n for n in os.listdir(CONFIGS)
        if n.startswith(f'panoptic-deeplab_mobilenetv3-{arch}_'))
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    assert cfg.train_cfg.max_iters == max_iters
    base = cfg.optim_wrapper.optimizer.lr
    checked = list(range(warmup,
                         warmup + 50)) + [max_iters // 2, max_iters - 1]
    lrs = lr_curve(cfg, max(checked) + 1)
    for t in checked:
        assert lrs[t] == pytest.approx(
            base * (1 - t / max_iters)**0.9, rel=1e-9), t
    for t in range(warmup):
        assert abs(lrs[t] - base * t / warmup) <= base * (0.0075 + 1 / warmup)
