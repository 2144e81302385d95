"""Variants task: parameters, FLOPs and ms/image of model variants side by
side: MobileNetV3-Large/Small against MobileNetV2, and detectron2's DSConv
head against its regular one (R52-DC5).

Per model: parameters (whole model and head), FLOPs of the network at the
input size (``tools/analysis_tools/get_flops.py``'s ``count``), the network
alone (``_forward``: backbone, head, upsampling to the input), the
post-processing with the model's settings on a 30-instance Cityscapes-like
scene of the input size (random weights give the network almost no
centers, so its own post-processing would be nearly free), their sum, and
the whole ``inference_model`` call (image pipeline + network +
post-processing of the random-weight outputs; its instance count is
reported). The models are timed in turns (all networks, then all
``inference_model`` calls, then all post-processings), so they share the
load of a busy machine alike. Run through the suite's entry point::

    python tools/analysis_tools/benchmark.py --task variants --threads 1
    python tools/analysis_tools/benchmark.py --task variants --device cuda
    python tools/analysis_tools/benchmark.py --task variants \\
        --variant-models r52-dc5 r52-dc5-dsconv

A model whose config is not in this checkout gets a row saying so.
"""
import os.path as osp
from typing import Dict, List

import numpy as np
import torch

from .inputs import (ENCODING, THING_IDS, post_processing_inputs,
                     synthetic_panoptic)
from .utils import measure_alternating

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG_DIR = osp.join(ROOT, 'configs', 'panoptic_deeplab')
#: key -> (label, leaf config in configs/panoptic_deeplab/)
VARIANTS = {
    'mbnv2': ('MobileNetV2-os32',
              'panoptic-deeplab_mobilenetv2-os32_8xb2-90k_cityscapes-'
              '1025x2049.py'),
    'mnv3l-os16': ('MobileNetV3-Large-os16',
                   'panoptic-deeplab_mobilenetv3-large-os16_8xb8-60k_'
                   'cityscapes-1025x2049.py'),
    'mnv3s-os16': ('MobileNetV3-Small-os16',
                   'panoptic-deeplab_mobilenetv3-small-os16_8xb8-60k_'
                   'cityscapes-1025x2049.py'),
    'mnv3l-os32': ('MobileNetV3-Large-os32',
                   'panoptic-deeplab_mobilenetv3-large-os32_8xb8-30k_'
                   'cityscapes-1025x2049.py'),
    'mnv3s-os32': ('MobileNetV3-Small-os32',
                   'panoptic-deeplab_mobilenetv3-small-os32_8xb8-30k_'
                   'cityscapes-1025x2049.py'),
    'r52-dc5': ('R52-DC5-os16, regular head',
                'panoptic-deeplab_r52-dc5-os16_8xb4-90k_cityscapes-'
                '512x1024.py'),
    'r52-dc5-dsconv': ('R52-DC5-os16, DSConv head',
                       'panoptic-deeplab-dsconv_r52-dc5-os16_8xb4-90k_'
                       'cityscapes-512x1024.py'),
    'r50':
    ('R50-os32', 'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py'),
    'r18': ('R18-os32 (quickstart)',
            'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-'
            '256x512.py'),
}
DEFAULT_VARIANTS = ('mbnv2', 'mnv3l-os16', 'mnv3s-os16', 'mnv3l-os32',
                    'mnv3s-os32', 'r52-dc5', 'r52-dc5-dsconv')


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _post_processing_fn(post_cfg: dict, height: int, width: int, device: str):
    """The model's post-processing settings on a 30-instance scene.

    Returns:
        Callable[[], Tensor]: Computes the (H, W) int64 panoptic map.
    """
    from mmpdl.models.post_processing import get_panoptic_segmentation
    scene = synthetic_panoptic(height, width, num_instances=30, seed=0)
    inputs = {
        k: v.to(device)
        for k, v in post_processing_inputs(scene, seed=0).items()
    }
    kwargs = {
        k: post_cfg[k]
        for k in ('stuff_area', 'center_threshold', 'nms_kernel', 'top_k')
        if k in post_cfg
    }

    def run():
        return get_panoptic_segmentation(inputs['sem_probs'],
                                         inputs['center'], inputs['offsets'],
                                         list(THING_IDS), **ENCODING,
                                         **kwargs)[0]['panoptic']

    return run


def prepare_variant(key: str, height: int, width: int, device: str) -> Dict:
    """Build one variant and what its timings call (see the module).

    Args:
        key (str): A key of :data:`VARIANTS`.
        height, width (int): Input size (1025x2049 for the real rows).
        device (str): ``'cpu'`` or ``'cuda'``.

    Returns:
        dict: ``row`` (``model``, ``config``, ``size``, ``params``,
        ``head_params``, ``flops``) and the calls ``network`` (``_forward``
        of the normalised (1, 3, H, W) image), ``end_to_end``
        (``inference_model`` of the (H, W, 3) uint8 BGR image) and ``post``
        (the post-processing of a 30-instance scene); only ``row`` (with a
        ``note``) when the config is not in this checkout.
    """
    from get_flops import count

    from mmpdl.apis import inference_model, init_model
    from mmpdl.datasets import render_scene
    label, name = VARIANTS[key]
    config = osp.join(CONFIG_DIR, name)
    if not osp.isfile(config):
        return dict(
            row=dict(
                model=label,
                config=name,
                note='not run: the config is not in this checkout'))
    torch.manual_seed(0)
    model = init_model(config, None, device)
    rgb, _ = render_scene(height, width, 11)
    image = np.ascontiguousarray(rgb[..., ::-1])
    tensor = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(image).permute(2, 0, 1).to(device)]),
        False)['inputs']
    row = dict(
        model=label,
        config=name,
        size=[height, width],
        params=_count(model),
        head_params=_count(model.decode_head),
        flops=count(config, (height, width))['flops'])
    return dict(
        row=row,
        network=lambda: model._forward(tensor),
        end_to_end=lambda: inference_model(model, image),
        post=_post_processing_fn(model.cfg.model.post_processor, height, width,
                                 device))


def time_variants(prepared: List[Dict], device: str, warmup: int,
                  repeats: int) -> List[Dict]:
    """Time the variants of :func:`prepare_variant` in turns.

    Each of the three calls is timed for all variants together, in turns
    (``measure_alternating``), so that every variant gets the same share
    of a machine whose load changes during the run.

    Returns:
        list[dict]: Each ``row`` with ``network_ms``, ``post_ms``,
        ``network_post_ms``, ``end_to_end_ms`` (medians), their runs,
        ``instances`` (found by ``inference_model`` with the random
        weights) and ``peak_mib``.
    """
    ready = [p for p in prepared if 'network' in p]
    results = {}
    with torch.no_grad():
        for part in ('network', 'end_to_end', 'post'):
            results[part] = measure_alternating([p[part] for p in ready],
                                                device, warmup, repeats)
    for index, variant in enumerate(ready):
        network, end_to_end, post = (
            results[part][index] for part in ('network', 'end_to_end', 'post'))
        variant['row'].update(
            network_ms=network['median_ms'],
            network_runs_ms=network['runs_ms'],
            post_ms=post['median_ms'],
            network_post_ms=network['median_ms'] + post['median_ms'],
            end_to_end_ms=end_to_end['median_ms'],
            end_to_end_runs_ms=end_to_end['runs_ms'],
            instances=len(end_to_end['output'].pred_instances),
            peak_mib=max(network['peak_mib'], end_to_end['peak_mib']))
    for part in results.values():
        for result in part:
            result.pop('output')
    return [p['row'] for p in prepared]


def format_rows(rows: List[Dict]) -> str:
    """Markdown table of the rows of :func:`time_variants`."""
    lines = [
        '| model | params | head params | GFLOPs | network ms | '
        'post-processing ms (30 instances) | network + post ms | '
        'inference_model ms (instances) |', '|---|---|---|---|---|---|---|---|'
    ]
    for row in rows:
        if 'note' in row:
            lines.append(f"| {row['model']} | {row['note']} | | | | | | |")
            continue
        lines.append(
            f"| {row['model']} | {row['params']:,} | {row['head_params']:,} "
            f"| {row['flops'] / 1e9:.2f} | {row['network_ms']:.0f} | "
            f"{row['post_ms']:.0f} | {row['network_post_ms']:.0f} | "
            f"{row['end_to_end_ms']:.0f} ({row['instances']}) |")
    return '\n'.join(lines)


def run_variants(args) -> List[Dict]:
    """Rows of the variants task for the suite's arguments.

    Uses ``args.variant_models``, ``args.shape`` (H, W), ``args.device``,
    ``args.warmup`` and ``args.model_repeats``; ``args.quick`` times once
    at 65x129.
    """
    from mmpdl.utils import register_all_modules
    register_all_modules()
    height, width = (65, 129) if args.quick else args.shape
    repeats = 1 if args.quick else args.model_repeats
    prepared = [
        prepare_variant(key, height, width, args.device)
        for key in args.variant_models
    ]
    rows = time_variants(prepared, args.device, args.warmup, repeats)
    print(f'variants: device {args.device}, torch threads '
          f'{torch.get_num_threads()}, {height}x{width}, median of '
          f'{repeats}')
    print(format_rows(rows))
    return rows
