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

import torch
from panoptic_deeplab_to_mmpdl import entry_of_config, original_entries

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.testing.original import (build_mmpdl, build_original,
                                    import_original, original_post_processing,
                                    randomize)

INPUT_SHAPE = (1, 3, 513, 1025)
LABEL_DIVISOR = CITYSCAPES_META['label_divisor']
#: both post-processings' settings: Cityscapes, the original's test config
SETTINGS = dict(
    thing_ids=list(CITYSCAPES_META['thing_ids']),
    label_divisor=LABEL_DIVISOR,
    ignore_index=CITYSCAPES_META['ignore_index'],
    stuff_area=2048,
    center_threshold=0.1,
    nms_kernel=7,
    top_k=200)


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
        default=[row.mmpdl_config for row in original_entries()],
        help='mmpdl leaf config(s) of model-zoo rows (default: all six)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--dump-keys',
        metavar='DIR',
        help='only write DIR/<row>.json with the original parameter and '
        'buffer names and shapes')
    return parser.parse_args()


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


def original_panoptic(repo, out):
    """The original post-processing on the original outputs (H, W)."""
    return original_post_processing(repo)(torch.softmax(
        out['semantic'], dim=1), out['center'], out['offset'], **SETTINGS)


def mmpdl_panoptic(out):
    """mmpdl's post-processing on the mmpdl outputs, (H, W) int64."""
    from mmpdl.models.post_processing import get_panoptic_segmentation
    return get_panoptic_segmentation(
        torch.softmax(out['sem_seg'], dim=1), out['center'], out['offset'],
        **SETTINGS)[0]['panoptic']


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
    pan_o = original_panoptic(repo, out_o)
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
        row = entry_of_config(config_path)
        if row is None:
            raise SystemExit(
                f'{config_path} is not a model-zoo config converted from the '
                'original; known: ' + ', '.join(r.mmpdl_config
                                                for r in original_entries()))
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
