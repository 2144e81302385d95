"""Deployment task: ms/image of the whole inference (network +
post-processing, image in, panoptic map out) of the models of
``--deploy-models`` (any key of :data:`.variants_task.VARIANTS`) with PyTorch
eager (fp32, the reference) and the ``--backends``: ``torch.compile``,
``amp`` (the network under autocast, fp16 on CUDA / bf16 on CPU, in
channels_last; outputs back to float32 for the post-processing),
``amp-compile`` (both) and onnxruntime (TensorRT on a GPU when the package
is installed), side by side in one run, after comparing every backend's
outputs with eager's; plus the post-processing alone (eager form vs the
exportable fixed-shape form, in PyTorch and in onnxruntime) on a
Cityscapes-like scene.

Run through the suite's entry point::

    python tools/analysis_tools/benchmark.py --task deploy            # CPU
    python tools/analysis_tools/benchmark.py --task deploy --device cuda \
        --deploy-models mnv3l-os32 r50 --backends compile amp amp-compile
    python tools/analysis_tools/benchmark.py --task deploy --quick  # smoke

Models have random weights (the original's init): speed does not depend on
the weights except through the number of kept centers, which the table
reports. Reduced precision changes logits by more than the equality limit,
so its rows also count the pixels whose semantic / panoptic label differs
from eager fp32's, and how many of the semantic ones are ties (eager's two
largest logits closer than twice the largest logit change).
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time
from typing import Callable, Dict, List

import numpy as np
import torch
import torch.nn.functional as F

from .variants_task import CONFIG_DIR, VARIANTS

#: What the model rows time after PyTorch eager (always run: the
#: reference) when ``--backends`` is not given
DEFAULT_BACKENDS = dict(
    cpu=('compile', 'onnxruntime'), cuda=('compile', 'tensorrt'))
#: Backends that run the PyTorch model in place (no export)
TORCH_BACKENDS = ('compile', 'amp', 'amp-compile')


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


def fast_copy(model: torch.nn.Module, amp: bool,
              compile: bool) -> torch.nn.Module:
    """A copy of ``model`` whose network (``_forward``) runs under autocast
    in channels_last (``amp``: fp16 on CUDA, bf16 on CPU; its outputs are
    cast back to float32, so the post-processing is the same) and/or
    through ``torch.compile``."""
    fast = copy.deepcopy(model)
    forward = _autocast_forward(fast) if amp else fast._forward
    fast._forward = torch.compile(forward) if compile else forward
    return fast


def _autocast_forward(model: torch.nn.Module) -> Callable:
    """``model._forward`` under autocast, channels_last (the model is
    converted), float32 outputs."""
    device = next(model.parameters()).device
    dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    model.to(memory_format=torch.channels_last)
    plain = model._forward

    def forward(inputs, data_samples=None):
        inputs = inputs.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=dtype):
            outputs = plain(inputs)
        return {k: v.float() for k, v in outputs.items()}

    return forward


def label_differences(reference, sample) -> Dict[str, int]:
    """Pixels where ``sample``'s semantic / panoptic map differs from the
    ``reference`` (eager fp32) one, and how many of the semantic ones are
    ties: the reference's two largest logits closer than twice the largest
    logit change between the two (each can move by that much).

    Returns:
        dict: ``sem_px``, ``sem_px_at_ties``, ``pan_px`` (ints).
    """
    ref_logits = reference.seg_logits.data.float().cpu()
    logits = sample.seg_logits.data.float().cpu()
    change = (ref_logits - logits).abs().max().item()
    flipped = (
        reference.pred_sem_seg.data[0].cpu()
        != sample.pred_sem_seg.data[0].cpu())
    top2 = ref_logits[:, flipped].topk(2, dim=0).values
    return dict(
        sem_px=int(flipped.sum()),
        sem_px_at_ties=int(((top2[0] - top2[1]) <= 2 * change).sum()),
        pan_px=int((reference.pred_panoptic_seg.data.cpu()
                    != sample.pred_panoptic_seg.data.cpu()).sum()))


def _torch_runners(model, image, backends) -> list:
    """(label, fn) of the backends that run the PyTorch model in place."""
    from mmpdl.apis import inference_model
    labels = {
        'compile': 'torch.compile',
        'amp': 'AMP + channels_last',
        'amp-compile': 'AMP + channels_last + torch.compile'
    }
    runners = []
    for key in (k for k in TORCH_BACKENDS if k in backends):
        fast = fast_copy(model, amp=key != 'compile', compile='compile' in key)
        runners.append((labels[key], lambda m=fast: inference_model(m, image)))
    return runners


def _export_runners(model, image: np.ndarray, args, tmp: str,
                    key: str) -> list:
    """(label, fn or reason not run) of onnxruntime / TensorRT; the files
    are exported from a CPU copy of ``model``."""
    from mmpdl.deployment import (PanopticExportModule, export_onnx,
                                  outputs_to_sample, read_metadata)
    wanted = [b for b in ('onnxruntime', 'tensorrt') if b in args.backends]
    if not wanted:
        return []
    cpu_model = copy.deepcopy(model).cpu()
    path = export_onnx(
        PanopticExportModule(cpu_model, with_postprocess=True),
        osp.join(tmp, f'{key}.onnx'), args.shape)
    meta = read_metadata(path)
    runners = []
    if 'onnxruntime' in wanted and args.device != 'cpu':
        runners.append(('onnxruntime', 'not run: timed on CPU only'))
    elif 'onnxruntime' in wanted:
        session = ort_session(path, args.threads)
        names = [o.name for o in session.get_outputs()]
        runners.append(('onnxruntime', lambda: outputs_to_sample(
            dict(zip(names, session.run(None, {'image': image}))), meta)))
    if 'tensorrt' in wanted and not _has_tensorrt():
        runners.append(('TensorRT fp16', 'not run: the tensorrt package is '
                        'not installed'))
    elif 'tensorrt' in wanted and args.device == 'cpu':
        runners.append(('TensorRT fp16', 'not run: TensorRT needs a GPU'))
    elif 'tensorrt' in wanted:
        network_only = PanopticExportModule(cpu_model)
        tensor = torch.from_numpy(image).to(args.device)
        trt_path = export_onnx(network_only,
                               osp.join(tmp, f'{key}_network.onnx'),
                               args.shape)
        runners.extend(_gpu_runners(trt_path, meta, tensor))
    return runners


def model_rows(key: str, args, tmp: str) -> List[dict]:
    """Rows of one model: every backend's ms/image and equality."""
    from mmpdl.apis import inference_model, init_model
    from mmpdl.datasets import render_scene
    from mmpdl.deployment import compare_samples
    name, config = VARIANTS[key]
    torch.manual_seed(0)
    model = init_model(osp.join(CONFIG_DIR, config), device=args.device).eval()
    height, width = args.shape
    rgb, _ = render_scene(height, width, 11)
    image = np.ascontiguousarray(rgb[..., ::-1])

    def eager():
        with torch.no_grad():
            return inference_model(model, image)

    backends = [('PyTorch eager', eager)]
    backends += _torch_runners(model, image, args.backends)
    backends += _export_runners(model, image, args, tmp, key)
    with torch.no_grad():
        reference = eager()
    centers = len(reference.pred_instances)
    rows, base = [], None
    for label, fn in backends:
        if isinstance(fn, str):  # a reason it cannot run here
            rows.append(dict(model=name, backend=label, ms=None, note=fn))
            continue
        with torch.no_grad():
            sample = fn()
            ok = all(row['ok'] for row in compare_samples(reference, sample))
            ms = median_ms(fn, args.repeats)
        base = base or ms
        rows.append(
            dict(
                model=name,
                backend=label,
                ms=ms,
                fps=1000 / ms,
                speedup=base / ms,
                same=ok,
                instances=centers,
                **label_differences(reference, sample)))
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
    """Markdown table: ms/image, images/s, speed-up over the first row of
    the same model, whether the outputs equal the first row's and, where
    they do not, the pixels whose labels differ."""
    lines = [
        '| model | backend | ms/image | images/s | speed-up | same outputs '
        '| differing semantic px (at ties) | differing panoptic px '
        '| instances |', '|---|---|---|---|---|---|---|---|---|'
    ]
    for row in rows:
        if row['ms'] is None:
            lines.append(f"| {row['model']} | {row['backend']} | "
                         f"{row['note']} | | | | | | |")
            continue
        differ = (f"{row['sem_px']} ({row['sem_px_at_ties']}) | "
                  f"{row['pan_px']}" if 'sem_px' in row else '- | -')
        lines.append(
            f"| {row['model']} | {row['backend']} | {row['ms']:.1f} | "
            f"{1000 / row['ms']:.1f} | {row['speedup']:.2f}x | "
            f"{'yes' if row['same'] else 'NO'} | {differ} | "
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
    print(f'deploy: device {args.device}, torch threads '
          f'{torch.get_num_threads()}, {shape[0]}x{shape[1]}, median of '
          f'{repeats}')
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for key in models:  # each model's table as soon as it is done
            new = model_rows(key, opts, tmp)
            print(format_rows(new), flush=True)
            rows.extend(new)
        if args.device == 'cpu':
            post = postprocess_rows(opts, tmp)
            print(format_rows(post))
            rows.extend(post)
    return rows
