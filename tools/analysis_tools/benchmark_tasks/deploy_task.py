"""Deployment task: ms/image of the whole inference (network +
post-processing) of MobileNetV2-os32 and R50-os32 with PyTorch eager,
``torch.compile`` and onnxruntime (TensorRT on a GPU when the package is
installed), side by side in one run, after checking that they give the same
outputs; plus the post-processing alone (eager form vs the exportable
fixed-shape form, in PyTorch and in onnxruntime) on a Cityscapes-like scene.

Run through the suite's entry point::

    python tools/analysis_tools/benchmark.py --task deploy            # CPU
    python tools/analysis_tools/benchmark.py --task deploy --device cuda
    python tools/analysis_tools/benchmark.py --task deploy --quick  # smoke

Models have random weights (the original's init): speed does not depend on
the weights except through the number of kept centers, which the table
reports.
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time
from typing import Callable, List

import numpy as np
import torch
import torch.nn.functional as F

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = dict(
    mbnv2=('MobileNetV2-os32',
           'panoptic-deeplab_mobilenetv2-os32_8xb2-90k_cityscapes-'
           '1025x2049.py'),
    r50=('R50-os32',
         'panoptic-deeplab_r50-os32_8xb1-90k_cityscapes-1025x2049.py'),
    r18=('R18-os32 (quickstart)',
         'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-'
         '256x512.py'))

#: What the model rows time after PyTorch eager (always run: the
#: reference) when ``--backends`` is not given
DEFAULT_BACKENDS = dict(
    cpu=('compile', 'onnxruntime'), cuda=('compile', 'tensorrt'))


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call."""
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def model_rows(key: str, args, tmp: str) -> List[dict]:
    """Rows of one model: every backend's ms/image and equality."""
    from mmpdl.apis import inference_model, init_model
    from mmpdl.datasets import render_scene
    from mmpdl.deployment import (PanopticExportModule, compare_samples,
                                  export_onnx, outputs_to_sample,
                                  read_metadata)
    name, config = CONFIGS[key]
    torch.manual_seed(0)
    model = init_model(
        osp.join(ROOT, 'configs', 'panoptic_deeplab', config), device='cpu')
    module = PanopticExportModule(model, with_postprocess=True)
    height, width = args.shape
    rgb, _ = render_scene(height, width, 11)
    image = np.ascontiguousarray(rgb[..., ::-1])
    path = export_onnx(module, osp.join(tmp, f'{key}.onnx'), args.shape)
    meta = read_metadata(path)
    device = torch.device(args.device)
    model.to(device)
    module.to(device)
    tensor = torch.from_numpy(image).to(device)

    def eager():
        with torch.no_grad():
            return inference_model(model, image)

    backends = [('PyTorch eager', eager)]
    if 'compile' in args.backends:
        compiled = copy.deepcopy(model)
        compiled._forward = torch.compile(compiled._forward)
        backends.append(
            ('torch.compile', lambda: inference_model(compiled, image)))
    if 'onnxruntime' in args.backends and args.device != 'cpu':
        backends.append(('onnxruntime', 'not run: timed on CPU only'))
    elif 'onnxruntime' in args.backends:
        session = ort_session(path, args.threads)
        names = [o.name for o in session.get_outputs()]
        backends.append(('onnxruntime', lambda: outputs_to_sample(
            dict(zip(names, session.run(None, {'image': image}))), meta)))
    if 'tensorrt' in args.backends and not _has_tensorrt():
        backends.append(('TensorRT fp16', 'not run: the tensorrt package is '
                         'not installed'))
    elif 'tensorrt' in args.backends and args.device == 'cpu':
        backends.append(('TensorRT fp16', 'not run: TensorRT needs a GPU'))
    elif 'tensorrt' in args.backends:
        network_only = PanopticExportModule(copy.deepcopy(model).cpu())
        trt_path = export_onnx(network_only,
                               osp.join(tmp, f'{key}_network.onnx'),
                               args.shape)
        backends.extend(_gpu_runners(trt_path, meta, tensor))
    with torch.no_grad():
        reference = eager()
    centers = len(reference.pred_instances)
    rows, base = [], None
    for label, fn in backends:
        if isinstance(fn, str):  # a reason it cannot run here
            rows.append(dict(model=name, backend=label, ms=None, note=fn))
            continue
        with torch.no_grad():
            ok = all(row['ok'] for row in compare_samples(reference, fn()))
            ms = median_ms(fn, args.repeats)
        base = base or ms
        rows.append(
            dict(
                model=name,
                backend=label,
                ms=ms,
                speedup=base / ms,
                same=ok,
                instances=centers))
    return rows


def ort_session(path: str, threads=None):
    """An onnxruntime CPU session of ``path`` with ``threads`` threads."""
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    return onnxruntime.InferenceSession(
        path, options, providers=['CPUExecutionProvider'])


def _has_tensorrt() -> bool:
    """Whether the tensorrt package imports."""
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        return False
    return True


def _gpu_runners(path: str, meta: dict, tensor: torch.Tensor) -> list:
    """TensorRT fp16 of a network-only export (TensorRT has no float64,
    which the graph's post-processing uses) + the PyTorch post-processing.
    """
    from mmpdl.deployment import TensorRTBackend, outputs_to_sample
    runner = TensorRTBackend(path, fp16=True)  # a network-only export

    def run():
        outputs = runner.run_tensor(tensor)
        return outputs_to_sample(
            {
                k:
                v.float().cpu().numpy()
                if v.is_floating_point() else v.cpu().numpy()
                for k, v in outputs.items()
            }, meta)

    return [('TensorRT fp16', run)]


def postprocess_rows(args, tmp: str) -> List[dict]:
    """The post-processing alone on a Cityscapes-like scene (30
    instances): eager form, fixed-shape form, fixed-shape in onnxruntime."""
    from mmpdl.models.post_processing import get_panoptic_segmentation
    from mmpdl.models.post_processing.fixed_shape import panoptic_fixed_shape
    from .inputs import (ENCODING, THING_IDS, post_processing_inputs,
                         synthetic_panoptic)
    height, width = args.shape
    net = post_processing_inputs(synthetic_panoptic(height, width, 30, 7), 7)
    logits = net['sem_probs'][0].log()
    center, offset = net['center'][0, 0], net['offsets'][0]
    is_thing = torch.zeros(19, dtype=torch.bool)
    is_thing[list(THING_IDS)] = True

    def eager():
        return get_panoptic_segmentation(
            F.softmax(logits, 0)[None],
            center[None, None],
            offset[None],
            THING_IDS,
            **ENCODING,
            sem_seg=logits.argmax(0)[None])[0]['panoptic']

    def fixed():
        return panoptic_fixed_shape(logits, center, offset, is_thing,
                                    **ENCODING)['panoptic']

    class Graph(torch.nn.Module):

        def forward(self, lg, ct, of):
            return panoptic_fixed_shape(lg, ct, of, is_thing,
                                        **ENCODING)['panoptic']

    path = osp.join(tmp, 'post.onnx')
    torch.onnx.export(
        Graph(), (logits, center, offset),
        path,
        dynamo=False,
        input_names=['l', 'c', 'o'],
        opset_version=17)
    session = ort_session(path, args.threads)
    feeds = {'l': logits.numpy(), 'c': center.numpy(), 'o': offset.numpy()}

    def graph():
        return torch.from_numpy(session.run(None, feeds)[0])

    want = eager()
    rows, base = [], None
    for label, fn in (('eager form (PyTorch)',
                       eager), ('fixed-shape form (PyTorch)', fixed),
                      ('fixed-shape form (onnxruntime)', graph)):
        same = torch.equal(fn(), want)
        ms = median_ms(fn, args.repeats)
        base = base or ms
        rows.append(
            dict(
                model=f'post-processing only {height}x{width}',
                backend=label,
                ms=ms,
                speedup=base / ms,
                same=same,
                instances=len(torch.unique(want[want % 1000 > 0]))))
    return rows


def format_rows(rows: List[dict]) -> str:
    """Markdown table: ms/image, speed-up over the first row of the same
    model, whether the outputs equal the first row's."""
    lines = [
        '| model | backend | ms/image | speed-up | same outputs | '
        'instances |', '|---|---|---|---|---|---|'
    ]
    for row in rows:
        if row['ms'] is None:
            lines.append(f"| {row['model']} | {row['backend']} | "
                         f"{row['note']} | | | |")
            continue
        lines.append(
            f"| {row['model']} | {row['backend']} | {row['ms']:.0f} | "
            f"{row['speedup']:.2f}x | {'yes' if row['same'] else 'NO'} | "
            f"{row['instances']} |")
    return '\n'.join(lines)


def run_deployment(args) -> List[dict]:
    """Rows of the deployment task for the suite's arguments.

    Uses ``args.deploy_models``, ``args.shape`` (H, W), ``args.device``,
    ``args.model_repeats``, ``args.threads`` and ``args.backends``;
    ``args.quick`` runs the quickstart model at 129x257 once.
    """
    models, shape, repeats = args.deploy_models, args.shape, \
        args.model_repeats
    if args.quick:
        models, shape, repeats = ['r18'], [129, 257], 1
    opts = argparse.Namespace(
        shape=list(shape),
        device=args.device,
        repeats=repeats,
        threads=args.threads,
        backends=args.backends or DEFAULT_BACKENDS[args.device])
    from mmpdl.utils import register_all_modules
    register_all_modules()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for key in models:
            rows.extend(model_rows(key, opts, tmp))
        if args.device == 'cpu':
            rows.extend(postprocess_rows(opts, tmp))
    print(f'deploy: device {args.device}, torch threads '
          f'{torch.get_num_threads()}, {shape[0]}x{shape[1]}, median of '
          f'{repeats}')
    print(format_rows(rows))
    return rows
