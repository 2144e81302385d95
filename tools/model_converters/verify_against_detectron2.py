"""Check that converted detectron2 weights give detectron2's outputs.

For each detectron2 Panoptic-DeepLab row: build detectron2's
``PanopticDeepLab`` from its own YAML config (imported from
``--detectron2-repo``, a checkout of github.com/facebookresearch/detectron2;
nothing of it is part of mmpdl) with random weights and non-trivial norm
statistics (:func:`mmpdl.testing.detectron2.randomize`), save it in
detectron2's model-zoo ``.pkl`` format (tools_d2 rows: as its trainer's
``.pth`` with optimizer state), convert that file as
``detectron2_to_mmpdl.py`` does (:mod:`mmpdl.converters.detectron2`), load
the result into the mmpdl model of the row's config and run both in eval
mode on the same random normalised input (1x3x512x2048 for Cityscapes,
1x3x640x640 for COCO).

Printed per row: parameter counts; the largest absolute differences of the
semantic logits, center heatmap and offsets at input size; whether the
panoptic maps of detectron2's ``get_panoptic_segmentation`` and mmpdl's
(each on its own model's outputs, detectron2's test settings) are
identical (detectron2's void -1 read as mmpdl's ``ignore_index *
label_divisor``) and have the same segments and classes; whether the
converted file, taken back with ``--reverse``, loads into a fresh
detectron2 model through detectron2's own ``DetectionCheckpointer`` (no
missing or unexpected keys) with the original tensors. A row passes with
equal counts, differences <= 1e-5, identical maps and that round trip.

The original implementation's ``tools_d2`` rows (Xception-65 and
HRNet-W48 in detectron2's model) run when ``--original-repo`` names a
checkout of github.com/bowenc0221/panoptic-deeplab: their backbones are
the original's modules from that checkout, their YAML files its
``tools_d2/configs`` (:mod:`mmpdl.testing.tools_d2`).

``--dump-keys DIR`` only writes ``DIR/<row>.json``: names and shapes of
every tensor in detectron2's state dict (the fixtures of the hermetic
converter tests).

Example::

    python tools/model_converters/verify_against_detectron2.py \\
        --detectron2-repo /path/to/detectron2
    # the tools_d2 rows, one of them
    python tools/model_converters/verify_against_detectron2.py \\
        --detectron2-repo /path/to/detectron2 \\
        --original-repo /path/to/panoptic-deeplab --rows h48-dsconv-coco
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import time
from typing import NamedTuple, Tuple

import torch
from verify_against_original import same_up_to_ids

from mmpdl.converters.checkpoint_io import read_state_dict, save_detectron2_pkl
from mmpdl.converters.detectron2 import (detectron2_to_mmpdl,
                                         mmpdl_to_detectron2)
from mmpdl.testing.detectron2 import (build_detectron2, detectron2_config,
                                      detectron2_outputs, detectron2_panoptic,
                                      load_with_detectron2, numpy_shapes,
                                      parameter_count, randomize,
                                      save_trainer_pth, thing_ids_of)
from mmpdl.testing.original import build_mmpdl
from mmpdl.testing.tools_d2 import tools_d2_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOLERANCE = 1e-5
IGNORE_INDEX = 255


class Row(NamedTuple):
    """A detectron2 model: short name, its YAML (relative to
    ``projects/Panoptic-DeepLab/configs``, or to the original's
    ``tools_d2/configs`` when ``source`` is ``'tools_d2'``) and options on
    top of it, the mmpdl config (relative to the repository root) and the
    (H, W) input of the check."""
    name: str
    yaml: str
    opts: Tuple
    config: str
    input_size: Tuple[int, int]
    source: str = 'detectron2'


_CS = 'Cityscapes-PanopticSegmentation/panoptic_deeplab_R_52_os16_mg124_'
_R52 = _CS + 'poly_90k_bs32_crop_512_1024.yaml'
_PDL = 'configs/panoptic_deeplab/panoptic-deeplab'
#: detectron2 ships no YAML for its R50-DC5 row; it is the R52 recipe with
#: detectron2's basic 7x7 stem of 64 channels. Cityscapes rows are checked
#: on 512x2048 inputs (twice the 512x1024 training crop's width, so the
#: fixed ASPP pooling window slides), COCO on 640x640 (its test size).
ROWS = (
    Row('r50-dc5', _R52, ('MODEL.RESNETS.STEM_TYPE', 'basic',
                          'MODEL.RESNETS.STEM_OUT_CHANNELS', 64),
        _PDL + '_r50-dc5-os16_8xb4-90k_cityscapes-512x1024.py', (512, 2048)),
    Row('r52-dc5', _R52, (),
        _PDL + '_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py', (512, 2048)),
    Row('r52-dc5-dsconv', _CS + 'poly_90k_bs32_crop_512_1024_dsconv.yaml', (),
        _PDL + '-dsconv_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py',
        (512, 2048)),
    Row(
        'r52-dc5-dsconv-coco', 'COCO-PanopticSegmentation/panoptic_deeplab_'
        'R_52_os16_mg124_poly_200k_bs64_crop_640_640_coco_dsconv.yaml', (),
        _PDL + '-dsconv_r52-dc5-os16_16xb4-200k_coco-panoptic-640x640.py',
        (640, 640)),
)
_TD2_CS = 'Cityscapes-PanopticSegmentation/panoptic_deeplab_'
_TD2_COCO = 'COCO-PanopticSegmentation/panoptic_deeplab_'
_TD2_CROP = '_os16_mg124_poly_90k_bs32_crop_512_1024'
_TD2_COCO_CROP = '_os16_mg124_poly_200k_bs64_crop_640_640_coco_dsconv.yaml'
_CS_LEAF = '-os16_8xb4-90k_cityscapes-512x1024.py'
_COCO_LEAF = '_16xb4-200k_coco-panoptic-640x640.py'
#: the original's tools_d2 models (its README's six checkpoints)
TOOLS_D2_ROWS = tuple(
    Row(name, yaml, (), config, size, 'tools_d2')
    for name, yaml, config, size in (
        ('x65-dc5', f'{_TD2_CS}X_65{_TD2_CROP}.yaml',
         f'{_PDL}_xception65{_CS_LEAF}', (512, 2048)),
        ('x65-dc5-dsconv', f'{_TD2_CS}X_65{_TD2_CROP}_dsconv.yaml',
         f'{_PDL}-dsconv_xception65{_CS_LEAF}', (512, 2048)),
        ('h48', f'{_TD2_CS}H_48{_TD2_CROP}.yaml',
         f'{_PDL}_hrnetw48{_CS_LEAF.replace("os16", "os32")}', (512, 2048)),
        ('h48-dsconv', f'{_TD2_CS}H_48{_TD2_CROP}_dsconv.yaml',
         f'{_PDL}-dsconv_hrnetw48{_CS_LEAF.replace("os16", "os32")}', (512,
                                                                       2048)),
        ('x65-dc5-dsconv-coco', f'{_TD2_COCO}X_65{_TD2_COCO_CROP}',
         f'{_PDL}-dsconv_xception65-os16{_COCO_LEAF}', (640, 640)),
        ('h48-dsconv-coco', f'{_TD2_COCO}H_48{_TD2_COCO_CROP}',
         f'{_PDL}-dsconv_hrnetw48-os32{_COCO_LEAF}', (640, 640)),
    ))
ALL_ROWS = ROWS + TOOLS_D2_ROWS


def parse_args():
    parser = argparse.ArgumentParser(
        description='Compare mmpdl with detectron2\'s Panoptic-DeepLab on '
        'converted random weights.')
    parser.add_argument(
        '--detectron2-repo',
        required=True,
        help='checkout of github.com/facebookresearch/detectron2')
    parser.add_argument(
        '--original-repo',
        help='checkout of github.com/bowenc0221/panoptic-deeplab, for the '
        'tools_d2 rows')
    parser.add_argument(
        '--rows',
        nargs='+',
        choices=[r.name for r in ALL_ROWS],
        help='rows to check (default: detectron2\'s four, and the six '
        'tools_d2 rows with --original-repo)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--dump-keys',
        metavar='DIR',
        help='only write DIR/<row>.json with detectron2\'s tensor names and '
        'shapes')
    return parser.parse_args()


def dump_keys(model, row, path):
    """Write the row's fixture: detectron2's tensor names and shapes."""
    state = model.state_dict()
    fixture = dict(
        row=row.name,
        detectron2_config=row.yaml,
        source=row.source,
        detectron2_opts=list(row.opts),
        mmpdl_config=row.config,
        num_parameters=sum(p.numel() for p in model.parameters()),
        weight_count=parameter_count(state),
        generated_by='tools/model_converters/verify_against_detectron2.py '
        '--dump-keys',
        tensors=numpy_shapes(state))
    lines = [
        f' "{k}": {json.dumps(v)}' for k, v in fixture.items()
        if k != 'tensors'
    ]
    lines.append(' "tensors": {\n' +
                 ',\n'.join(f'  {json.dumps(k)}: {json.dumps(v)}'
                            for k, v in fixture['tensors'].items()) + '\n }')
    with open(path, 'w') as f:
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')


def mmpdl_panoptic(out, thing_ids, label_divisor, settings):
    """mmpdl's post-processing on mmpdl's outputs, (H, W) int64."""
    from mmpdl.models.post_processing import get_panoptic_segmentation
    return get_panoptic_segmentation(
        torch.softmax(out['sem_seg'], dim=1),
        out['center'],
        out['offset'],
        thing_ids=thing_ids,
        label_divisor=label_divisor,
        ignore_index=IGNORE_INDEX,
        sem_seg=out['sem_seg'].argmax(dim=1),
        **settings)[0]['panoptic']


def row_config(row, detectron2_repo, original_repo=None):
    """detectron2's config of a row (SyncBN as BN, CPU)."""
    if row.source == 'tools_d2':
        if not original_repo:
            raise FileNotFoundError(
                f'row {row.name} is a model of the original\'s tools_d2: '
                'pass --original-repo (a checkout of '
                'bowenc0221/panoptic-deeplab)')
        return tools_d2_config(detectron2_repo, original_repo, row.yaml,
                               row.opts)
    return detectron2_config(detectron2_repo, row.yaml, row.opts)


@torch.no_grad()
def verify_row(repo, row, cfg, seed, work_dir):
    """Run one row with its detectron2 config ``cfg``; return its line of
    the result table as a dict."""
    start = time.time()
    theirs = build_detectron2(cfg)
    randomize(theirs, seed, (1, 3, *cfg.INPUT.CROP.SIZE))
    if row.source == 'tools_d2':  # its trainer's .pth, as published
        src = save_trainer_pth(theirs, work_dir, row.name)
    else:  # detectron2's model-zoo .pkl
        src = osp.join(work_dir, row.name + '.pkl')
        save_detectron2_pkl(theirs.state_dict(), src, 'mmpdl verification')
    converted = osp.join(work_dir, row.name + '_mmpdl.pth')
    detectron2_to_mmpdl(src, converted, osp.join(ROOT, row.config))
    ours = build_mmpdl(
        osp.join(ROOT, row.config), read_state_dict(converted), rules=None)
    # --reverse: the converted file back to a .pkl that detectron2 loads
    back = osp.join(work_dir, row.name + '-reverse.pkl')
    mmpdl_to_detectron2(converted, back, osp.join(ROOT, row.config))
    reloaded = build_detectron2(cfg)
    problems = load_with_detectron2(reloaded, back)
    reverse_ok = not problems and all(
        torch.equal(v,
                    theirs.state_dict()[k])
        for k, v in reloaded.state_dict().items())
    x = torch.randn(
        1,
        3,
        *row.input_size,
        generator=torch.Generator().manual_seed(seed + 1))
    out_d = detectron2_outputs(theirs, x)
    out_m = ours._forward(x)
    pd = cfg.MODEL.PANOPTIC_DEEPLAB
    thing_ids = thing_ids_of(cfg)
    divisor = 1000
    settings = dict(
        stuff_area=pd.STUFF_AREA,
        center_threshold=pd.CENTER_THRESHOLD,
        nms_kernel=pd.NMS_KERNEL,
        top_k=pd.TOP_K_INSTANCE)
    pan_d = detectron2_panoptic(repo)(out_d, thing_ids, divisor, **settings)
    pan_d = torch.where(pan_d == -1, IGNORE_INDEX * divisor, pan_d)
    pan_m = mmpdl_panoptic(out_m, thing_ids, divisor, settings)
    diff = {
        k: (out_d[k] - out_m[k]).abs().max().item()
        for k in ('sem_seg', 'center', 'offset')
    }
    return dict(
        row=row.name,
        params_d2=parameter_count(theirs.state_dict()),
        params_ours=parameter_count(ours.state_dict()),
        **diff,
        reverse=reverse_ok,
        identical=bool(torch.equal(pan_d, pan_m)),
        same_partition=same_up_to_ids(pan_d, pan_m),
        segments=len(torch.unique(pan_d)),
        seconds=time.time() - start)


def passed(r):
    return (r['params_d2'] == r['params_ours'] and r['identical']
            and r['reverse']
            and max(r['sem_seg'], r['center'], r['offset']) <= TOLERANCE)


def print_table(lines):
    """Print the result table (markdown)."""
    print('| row | parameters (detectron2 / mmpdl) | max abs diff sem_seg | '
          'center | offset | panoptic identical | same segments and '
          'classes | segments | --reverse loads in detectron2 | s |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in lines:
        print(f"| {r['row']} | {r['params_d2']:,} / {r['params_ours']:,} | "
              f"{r['sem_seg']:.2e} | {r['center']:.2e} | "
              f"{r['offset']:.2e} | {r['identical']} | "
              f"{r['same_partition']} | {r['segments']} | "
              f"{r['reverse']} | {r['seconds']:.0f} |")


def main():
    args = parse_args()
    names = args.rows or [
        r.name for r in (ALL_ROWS if args.original_repo else ROWS)
    ]
    rows = [r for r in ALL_ROWS if r.name in names]
    lines = []
    with tempfile.TemporaryDirectory() as work_dir:
        for row in rows:
            try:
                cfg = row_config(row, args.detectron2_repo, args.original_repo)
            except FileNotFoundError as err:
                raise SystemExit(f'error: {err}')
            if args.dump_keys:
                os.makedirs(args.dump_keys, exist_ok=True)
                path = osp.join(args.dump_keys, row.name + '.json')
                dump_keys(build_detectron2(cfg), row, path)
                print(f'wrote {path}')
                continue
            lines.append(
                verify_row(args.detectron2_repo, row, cfg, args.seed,
                           work_dir))
            print_table(lines[-1:])
    if lines:
        print_table(lines)
        ok = all(passed(r) for r in lines)
        print('PASS' if ok else 'FAIL')
        sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
