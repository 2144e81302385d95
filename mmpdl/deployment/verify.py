"""Compare an exported model with the PyTorch model it came from."""
from typing import List, Sequence, Tuple

import numpy as np
import torch

#: Largest |ONNX - PyTorch| accepted for the network outputs.
MAX_ABS_DIFF = 1e-4


def compare_samples(torch_sample, backend_sample,
                    name: str = 'image') -> List[dict]:
    """Rows of the verification table for one image.

    Args:
        torch_sample (PanopticDataSample): From the PyTorch model.
        backend_sample (PanopticDataSample): From the exported model.
        name (str): Image name for the table.

    Returns:
        list[dict]: ``image``, ``output``, ``diff`` (max abs difference or
        number of differing pixels / instances), ``limit`` and ``ok``.
    """
    rows = []
    for key in ('seg_logits', 'pred_center', 'pred_offset'):
        a = getattr(torch_sample, key).data.float().cpu()
        b = getattr(backend_sample, key).data.float().cpu()
        diff = (a - b).abs().max().item() if a.shape == b.shape else np.inf
        rows.append(dict(image=name, output=key, diff=diff,
                         limit=MAX_ABS_DIFF, ok=diff <= MAX_ABS_DIFF))
    for key in ('pred_sem_seg', 'pred_panoptic_seg'):
        a = getattr(torch_sample, key).data.cpu()
        b = getattr(backend_sample, key).data.cpu()
        diff = int((a != b).sum()) if a.shape == b.shape else a.numel()
        rows.append(dict(image=name, output=key + ' (pixels)', diff=diff,
                         limit=0, ok=diff == 0))
    a, b = torch_sample.pred_instances, backend_sample.pred_instances
    same = (len(a) == len(b) and torch.equal(a.instance_ids.cpu(),
                                              b.instance_ids.cpu())
            and torch.equal(a.labels.cpu(), b.labels.cpu()))
    rows.append(dict(image=name, output=f'instances ({len(a)})',
                     diff=0 if same else abs(len(a) - len(b)) or 1,
                     limit=0, ok=same))
    if same and len(a):
        diff = max((a.scores.cpu() - b.scores.cpu()).abs().max().item(),
                   (a.scores_sem_x_ctr.cpu() -
                    b.scores_sem_x_ctr.cpu()).abs().max().item())
        rows.append(dict(image=name, output='instance scores', diff=diff,
                         limit=MAX_ABS_DIFF, ok=diff <= MAX_ABS_DIFF))
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """Markdown table of :func:`compare_samples` rows."""
    lines = ['| image | output | max abs diff / count | limit | equal |',
             '|---|---|---|---|---|']
    for row in rows:
        diff = row['diff']
        diff = f'{diff:.2e}' if isinstance(diff, float) else str(diff)
        lines.append(f"| {row['image']} | {row['output']} | {diff} | "
                     f"{row['limit']} | {'yes' if row['ok'] else 'NO'} |")
    return '\n'.join(lines)


def verify_export(model, onnx_file: str,
                  images: Sequence[Tuple[str, np.ndarray]]
                  ) -> Tuple[List[dict], bool]:
    """Run ``model`` (PyTorch) and ``onnx_file`` (onnxruntime) on
    ``images`` and compare.

    Args:
        model (nn.Module): From :func:`init_model` (``cfg`` set).
        onnx_file (str): Its export.
        images (Sequence[tuple[str, np.ndarray]]): (name, (H, W, 3) uint8
            BGR image) pairs.

    Returns:
        tuple[list[dict], bool]: The table rows and whether all are ok.
    """
    from mmpdl.apis import inference_model
    from .backends import OnnxRuntimeBackend, outputs_to_sample
    runner = OnnxRuntimeBackend(onnx_file)
    rows = []
    for name, image in images:
        expected = inference_model(model, image)
        got = outputs_to_sample(runner(image), runner.meta)
        rows.extend(compare_samples(expected, got, name))
    return rows, all(row['ok'] for row in rows)
