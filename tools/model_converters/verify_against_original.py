"""Check that converted original weights give the original's outputs.

For each mmpdl config: build the original Panoptic-DeepLab model from its own
YAML config (imported from ``--original-repo``, a checkout of
github.com/bowenc0221/panoptic-deeplab; nothing of it is part of mmpdl) with
random weights, convert its state dict with mmpdl's converter, load it into
the mmpdl model (strict), run both in eval mode on the same random
normalised 1x3x513x1025 input and print the largest absolute differences of
the semantic logits, center heatmap and offsets, and whether the panoptic
maps of the two post-processings (original's vs mmpdl's) are identical.

Random weights would give near-constant outputs (the original initialises
decoder convs with std 0.001), so before converting, decoder convs are
re-drawn with unit-gain fan-in scaling and every BatchNorm's running
statistics are set from a training-mode pass over random images: both
models then see the same weights with non-trivial outputs.

``--dump-keys DIR`` writes ``DIR/<row>.json``: names and shapes of every
parameter and buffer of the original model (the fixtures of the hermetic
converter tests).

Example::

    python tools/model_converters/verify_against_original.py \\
        --original-repo /path/to/panoptic-deeplab \\
        --config configs/panoptic_deeplab/panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py
"""  # noqa: E501
import argparse
import json
import os
import os.path as osp
import re
import sys
import time
import types

import torch
from torch import nn

from mmpdl.models.utils.original_rows import ORIGINAL_ROWS, row_of_config
from mmpdl.utils.safe_load import load_url_weights_only

INPUT_SHAPE = (1, 3, 513, 1025)
CALIBRATION_SHAPE = (2, 3, 257, 513)
LABEL_DIVISOR = 1000
IGNORE_INDEX = 255
STUFF_AREA = 2048
CENTER_THRESHOLD = 0.1
NMS_KERNEL = 7
TOP_K = 200
THING_IDS = list(range(11, 19))


def parse_args():
    parser = argparse.ArgumentParser(
        description='Compare mmpdl with the original Panoptic-DeepLab on '
        'converted random weights.')
    parser.add_argument(
        '--original-repo',
        required=True,
        help='checkout of github.com/bowenc0221/panoptic-deeplab')
    parser.add_argument(
        '--config',
        nargs='+',
        default=[row.mmpdl_config for row in ORIGINAL_ROWS],
        help='mmpdl leaf config(s) of model-zoo rows (default: all six)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--dump-keys',
        metavar='DIR',
        help='only write DIR/<row>.json with the original parameter and '
        'buffer names and shapes')
    return parser.parse_args()


def add_original_to_path(repo):
    """Make the original's ``segmentation`` package importable from
    ``repo``.

    The original imports ``torchvision.models.utils.load_state_dict_from_url``
    which torchvision >= 0.13 dropped; an alias module to mmpdl's
    ``weights_only`` URL loader is installed for this process only (the one
    place mmpdl provides it).

    Raises:
        FileNotFoundError: ``repo`` is not a checkout of the original.
    """
    if not osp.isdir(osp.join(repo, 'segmentation', 'model')):
        raise FileNotFoundError(
            f'--original-repo {repo!r} is not a checkout of '
            'bowenc0221/panoptic-deeplab (no segmentation/model in it); '
            'clone it and pass its root folder')
    if 'torchvision.models.utils' not in sys.modules:
        import torchvision.models  # noqa: F401
        alias = types.ModuleType('torchvision.models.utils')
        alias.load_state_dict_from_url = load_url_weights_only
        sys.modules['torchvision.models.utils'] = alias
    repo = osp.abspath(repo)
    if repo not in sys.path:
        sys.path.insert(0, repo)


def import_original(repo):
    """The original's config, model builder and post-processing."""
    add_original_to_path(repo)
    from segmentation.config import config
    from segmentation.model import build_segmentation_model_from_cfg
    from segmentation.model.post_processing import get_panoptic_segmentation
    return config, build_segmentation_model_from_cfg, get_panoptic_segmentation


def build_original(original, repo, yaml_name):
    """The original model of a YAML config, random init, no downloads."""
    config, build_model, _ = original
    cfg = config.clone()
    cfg.defrost()
    cfg.merge_from_file(osp.join(repo, 'configs', yaml_name))
    cfg.MODEL.BACKBONE.PRETRAINED = False
    cfg.freeze()
    return build_model(cfg)


def dump_keys(model, row, path):
    """Write the row's fixture: parameter and buffer names with shapes."""
    params = {n: list(p.shape) for n, p in model.named_parameters()}
    state = model.state_dict()
    fixture = dict(
        row=row.name,
        original_config=row.original_yaml,
        mmpdl_config=row.mmpdl_config,
        num_parameters=sum(p.numel() for p in model.parameters()),
        generated_by='tools/model_converters/verify_against_original.py '
        '--dump-keys',
        parameters=params,
        buffers={
            n: list(t.shape)
            for n, t in state.items() if n not in params
        })
    # one line per tensor keeps the file small and its diffs readable
    text = json.dumps(fixture, indent=1)
    text = re.sub(
        r'\[\s*([\d,\s]*?)\s*\]',
        lambda m: '[' + ', '.join(m.group(1).split()).replace(',,', ',') + ']',
        text)
    with open(path, 'w') as f:
        f.write(text + '\n')


@torch.no_grad()
def randomize(model, seed):
    """Give a random original model non-trivial, deterministic outputs.

    Decoder convs get N(0, 1/fan_in) weights (x8 for the offset head so
    pixels travel to different centers); BatchNorm running statistics are
    the (cumulative) batch statistics of two training-mode passes over
    random images; then the model is put in eval mode.
    """
    torch.manual_seed(seed)
    offset_convs = set(model.decoder.instance_head.modules()) if hasattr(
        model.decoder, 'instance_head') else set()
    for name, module in model.decoder.named_modules():
        if isinstance(module, nn.Conv2d):
            fan_in = module.weight[0].numel()
            module.weight.normal_(0, fan_in**-0.5)
            if 'offset' in name and module in offset_convs:
                module.weight.mul_(8)
            if module.bias is not None:
                module.bias.normal_(0, 0.1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None
            module.weight.uniform_(0.5, 1.5)
            module.bias.normal_(0, 0.1)
    model.train()
    for _ in range(2):
        model(torch.randn(CALIBRATION_SHAPE))
    model.eval()


def build_mmpdl(config_path, state_dict):
    """Build the mmpdl model of a config (BN) and load converted weights."""
    from mmengine import Config
    from mmengine.model import revert_sync_batchnorm

    from mmpdl.models.utils.original_key_map import convert_state_dict
    from mmpdl.models.utils.original_key_rules import rules_for_config
    from mmpdl.registry import MODELS
    from mmpdl.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(config_path)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    target = {k: v.shape for k, v in model.state_dict().items()}
    converted = convert_state_dict(
        state_dict, target, rules_for_config(cfg), what=config_path)
    model.load_state_dict(converted, strict=True)
    return model.eval()


def original_panoptic(original, out):
    """The original post-processing on the original outputs (1, H, W)."""
    get_panoptic = original[2]
    panoptic, _ = get_panoptic(
        torch.softmax(out['semantic'], dim=1),
        out['center'],
        out['offset'],
        thing_list=THING_IDS,
        label_divisor=LABEL_DIVISOR,
        stuff_area=STUFF_AREA,
        void_label=LABEL_DIVISOR * IGNORE_INDEX,
        threshold=CENTER_THRESHOLD,
        nms_kernel=NMS_KERNEL,
        top_k=TOP_K)
    return panoptic[0]


def mmpdl_panoptic(out):
    """mmpdl's post-processing on the mmpdl outputs, (H, W) int64."""
    from mmpdl.models.post_processing import get_panoptic_segmentation
    result = get_panoptic_segmentation(
        torch.softmax(out['sem_seg'], dim=1),
        out['center'],
        out['offset'],
        thing_ids=THING_IDS,
        label_divisor=LABEL_DIVISOR,
        ignore_index=IGNORE_INDEX,
        stuff_area=STUFF_AREA,
        center_threshold=CENTER_THRESHOLD,
        nms_kernel=NMS_KERNEL,
        top_k=TOP_K)
    return result[0]['panoptic']


def same_up_to_ids(a, b):
    """Whether two panoptic maps give the same partition and classes."""
    pairs = torch.unique(torch.stack([a.flatten(), b.flatten()]), dim=1)
    return (len(torch.unique(pairs[0])) == pairs.shape[1] and len(
        torch.unique(pairs[1])) == pairs.shape[1] and bool(
            (pairs[0] // LABEL_DIVISOR == pairs[1] // LABEL_DIVISOR).all()))


@torch.no_grad()
def verify_row(original, repo, row, config_path, seed):
    """Run one row; return its line of the result table as a dict."""
    start = time.time()
    orig_model = build_original(original, repo, row.original_yaml)
    randomize(orig_model, seed)
    ours = build_mmpdl(config_path, orig_model.state_dict())
    x = torch.randn(INPUT_SHAPE, generator=torch.Generator().manual_seed(1))
    out_o = orig_model(x)
    out_m = ours._forward(x)
    pan_o = original_panoptic(original, out_o)
    pan_m = mmpdl_panoptic(out_m)
    return dict(
        row=row.name,
        sem=(out_o['semantic'] - out_m['sem_seg']).abs().max().item(),
        center=(out_o['center'] - out_m['center']).abs().max().item(),
        offset=(out_o['offset'] - out_m['offset']).abs().max().item(),
        identical=bool(torch.equal(pan_o, pan_m)),
        same_partition=same_up_to_ids(pan_o, pan_m),
        segments=len(torch.unique(pan_o)),
        seconds=time.time() - start)


def print_table(lines):
    """Print the result table (markdown)."""
    print('| row | max abs diff sem_seg | center | offset | panoptic '
          'identical | same segments and classes | segments | s |')
    print('|---|---|---|---|---|---|---|---|')
    for r in lines:
        print(f"| {r['row']} | {r['sem']:.2e} | {r['center']:.2e} | "
              f"{r['offset']:.2e} | {r['identical']} | "
              f"{r['same_partition']} | {r['segments']} | "
              f"{r['seconds']:.0f} |")


def main():
    args = parse_args()
    try:
        original = import_original(args.original_repo)
    except FileNotFoundError as err:
        raise SystemExit(f'error: {err}')
    lines = []
    for config_path in args.config:
        row = row_of_config(config_path)
        if row is None:
            raise SystemExit(f'{config_path} is not a model-zoo config; '
                             'known: ' + ', '.join(r.mmpdl_config
                                                   for r in ORIGINAL_ROWS))
        if args.dump_keys:
            os.makedirs(args.dump_keys, exist_ok=True)
            path = osp.join(args.dump_keys, row.name + '.json')
            dump_keys(
                build_original(original, args.original_repo,
                               row.original_yaml), row, path)
            print(f'wrote {path}')
            continue
        lines.append(
            verify_row(original, args.original_repo, row, config_path,
                       args.seed))
        print_table(lines[-1:])
    if lines:
        print_table(lines)
        ok = all(
            r['identical'] and max(r['sem'], r['center'], r['offset']) <= 1e-4
            for r in lines)
        print('PASS' if ok else 'FAIL')
        sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
