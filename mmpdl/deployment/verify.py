"""Compare an exported model with the PyTorch model it came from."""
from typing import Callable, List, Sequence, Tuple

import numpy as np
import torch

from mmpdl.structures import PanopticDataSample

#: Largest |ONNX - PyTorch| accepted for network outputs of magnitude <= 10.
MAX_ABS_DIFF = 1e-4
#: Beyond that, the largest difference relative to the output's largest
#: magnitude: float32 rounding grows with the values (a trained r18's
#: offsets reach 83 px and differ by 8.6e-5; docs/deployment.md).
MAX_REL_DIFF = 1e-5


def output_limit(scale: float) -> float:
    """The accepted max abs difference of an output whose largest
    magnitude is ``scale``: ``max(MAX_ABS_DIFF, MAX_REL_DIFF * scale)``."""
    return max(MAX_ABS_DIFF, MAX_REL_DIFF * scale)


def _near_tie(logits: torch.Tensor, where: torch.Tensor, limit: float) -> bool:
    """Whether the two largest (C, H, W) logits differ by at most ``limit``
    at every pixel of the (H, W) mask ``where``."""
    top2 = logits[:, where].topk(2, dim=0).values
    return bool(((top2[0] - top2[1]) <= limit).all())


def _row(name, output, diff, limit, ok, scale=None) -> dict:
    return dict(
        image=name, output=output, diff=diff, limit=limit, ok=ok, scale=scale)


def compare_samples(torch_sample,
                    backend_sample,
                    name: str = 'image') -> List[dict]:
    """Rows of the verification table for one image.

    Network outputs must agree to :func:`output_limit` of their largest
    magnitude. The semantic and panoptic maps and the instances must be
    equal, except where the PyTorch semantic logits are tied within the
    logits' limit (there the
    two backends' rounding may pick either class, and a panoptic or
    instance difference must follow from such a pixel).

    Args:
        torch_sample (PanopticDataSample): From the PyTorch model.
        backend_sample (PanopticDataSample): From the exported model.
        name (str): Image name for the table.

    Returns:
        list[dict]: ``image``, ``output``, ``diff`` (max abs difference or
        number of differing pixels / instances), ``limit`` and ``ok``.
    """
    rows, limits = [], {}
    for key in ('seg_logits', 'pred_center', 'pred_offset'):
        a = getattr(torch_sample, key).data.float().cpu()
        b = getattr(backend_sample, key).data.float().cpu()
        diff = (a - b).abs().max().item() if a.shape == b.shape else np.inf
        scale = a.abs().max().item()
        limits[key] = output_limit(scale)
        rows.append(
            _row(name, key, diff, limits[key], diff <= limits[key], scale))
    sem_a = torch_sample.pred_sem_seg.data[0].cpu()
    sem_b = backend_sample.pred_sem_seg.data[0].cpu()
    if sem_a.shape != sem_b.shape:
        rows.append(
            _row(name, 'pred_sem_seg (pixels)', sem_a.numel(), 0, False))
        return rows
    flipped = sem_a != sem_b
    tied = bool(flipped.any()) and _near_tie(
        torch_sample.seg_logits.data.cpu(), flipped, limits['seg_logits'])
    rows.append(
        _row(name,
             'pred_sem_seg (pixels)' + (' [logit near-ties]' if tied else ''),
             int(flipped.sum()), 0, not flipped.any() or tied))
    pan_a = torch_sample.pred_panoptic_seg.data.cpu()
    pan_b = backend_sample.pred_panoptic_seg.data.cpu()
    diff = int((pan_a != pan_b).sum())
    rows.append(
        _row(name, 'pred_panoptic_seg (pixels)', diff, 0, diff == 0 or tied))
    a, b = torch_sample.pred_instances, backend_sample.pred_instances
    same = (
        len(a) == len(b)
        and torch.equal(a.instance_ids.cpu(), b.instance_ids.cpu())
        and torch.equal(a.labels.cpu(), b.labels.cpu()))
    rows.append(
        _row(name, f'instances ({len(a)})',
             0 if same else abs(len(a) - len(b)) or 1, 0, same or tied))
    if same and len(a):
        diff = max((a.scores.cpu() - b.scores.cpu()).abs().max().item(),
                   (a.scores_sem_x_ctr.cpu() -
                    b.scores_sem_x_ctr.cpu()).abs().max().item())
        rows.append(
            _row(name, 'instance scores', diff, MAX_ABS_DIFF, diff
                 <= MAX_ABS_DIFF))
    return rows


def compare_post_processing(outputs: dict,
                            meta: dict,
                            name: str = 'image') -> List[dict]:
    """Rows comparing the graph's post-processing with the eager one run
    on the same (the graph's) network outputs: these must be equal.

    Args:
        outputs (dict[str, np.ndarray]): A backend's outputs, with the
            post-processing ones.
        meta (dict): :func:`read_metadata` of the file.
        name (str): Image name for the table.
    """
    from .backends import outputs_to_sample
    from .export_module import NETWORK_OUTPUTS
    graph = outputs_to_sample(outputs, meta)
    eager = outputs_to_sample({k: outputs[k] for k in NETWORK_OUTPUTS}, meta)
    diff = int((graph.pred_panoptic_seg.data
                != eager.pred_panoptic_seg.data).sum())
    a, b = graph.pred_instances, eager.pred_instances
    same = (
        len(a) == len(b) and torch.equal(a.instance_ids, b.instance_ids)
        and torch.equal(a.labels, b.labels)
        and torch.allclose(a.scores, b.scores, rtol=0, atol=1e-6)
        and torch.allclose(
            a.scores_sem_x_ctr, b.scores_sem_x_ctr, rtol=0, atol=1e-6))
    return [
        _row(name, 'graph post-processing = eager (pixels)', diff, 0,
             diff == 0),
        _row(name, f'graph instances = eager ({len(b)})', 0 if same else 1, 0,
             same)
    ]


def format_table(rows: Sequence[dict]) -> str:
    """Markdown table of :func:`compare_samples` rows."""
    lines = [
        '| image | output | max abs diff / count | limit | equal | '
        'max abs PyTorch value |', '|---|---|---|---|---|---|'
    ]
    for row in rows:
        diff, scale = row['diff'], row.get('scale')
        diff = f'{diff:.2e}' if isinstance(diff, float) else str(diff)
        scale = '' if scale is None else f'{scale:.3g}'
        limit = row['limit']
        limit = f'{limit:.2g}' if isinstance(limit, float) else str(limit)
        lines.append(f"| {row['image']} | {row['output']} | {diff} | "
                     f"{limit} | {'yes' if row['ok'] else 'NO'} | "
                     f'{scale} |')
    return '\n'.join(lines)


def verify_export(
        predict: Callable[[np.ndarray], PanopticDataSample], onnx_file: str,
        images: Sequence[Tuple[str, np.ndarray]]) -> Tuple[List[dict], bool]:
    """Run the PyTorch model (``predict``) and ``onnx_file``
    (onnxruntime) on ``images`` and compare.

    Args:
        predict (Callable): The PyTorch prediction of one image, e.g.
            ``partial(mmpdl.apis.inference_model, model)``.
        onnx_file (str): The model's export.
        images (Sequence[tuple[str, np.ndarray]]): (name, (H, W, 3) uint8
            BGR image) pairs.

    Returns:
        tuple[list[dict], bool]: The table rows and whether all are ok.
    """
    from .backends import OnnxRuntimeBackend, outputs_to_sample
    runner = OnnxRuntimeBackend(onnx_file)
    rows = []
    for name, image in images:
        expected = predict(image)
        outputs = runner(image)
        rows.extend(
            compare_samples(expected, outputs_to_sample(outputs, runner.meta),
                            name))
        if runner.meta['with_postprocess']:
            rows.extend(compare_post_processing(outputs, runner.meta, name))
    return rows, all(row['ok'] for row in rows)
