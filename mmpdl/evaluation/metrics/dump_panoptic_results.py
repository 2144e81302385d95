"""``DumpPanopticResults``: ``tools/test.py --out FILE.pkl``."""
from typing import Sequence

import numpy as np
from mmengine.evaluator import DumpResults

from mmpdl.registry import METRICS
from ..functional.metric_inputs import sample_field


def prediction_record(sample) -> dict:
    """The part of a predicted data sample worth keeping in a file.

    Args:
        sample (dict | PanopticDataSample): With ``img_path``,
            ``pred_panoptic_seg`` (1, H, W) int64 and ``pred_instances``
            (``instance_ids``, ``labels``, ``scores``, ``scores_sem_x_ctr``
            (K,)).

    Returns:
        dict: ``img_path``; ``panoptic`` (H, W) int32 numpy array,
        ``train_id * label_divisor + instance`` (void ``ignore_index *
        label_divisor``); ``instances``: one dict per instance with ``id``
        (its value in ``panoptic``: the mask is ``panoptic == id``),
        ``label`` (train id), ``score`` and ``score_sem_x_ctr``.
    """
    panoptic = sample_field(sample, 'pred_panoptic_seg')
    inst = sample_field(sample, 'pred_instances')
    get = inst.get if isinstance(inst, dict) else inst.__getattr__
    columns = [
        get(key).detach().cpu().tolist()
        for key in ('instance_ids', 'labels', 'scores', 'scores_sem_x_ctr')
    ]
    instances = [
        dict(id=int(i), label=int(c), score=s, score_sem_x_ctr=t)
        for i, c, s, t in zip(*columns)
    ]
    return dict(
        img_path=sample_field(sample, 'img_path'),
        panoptic=panoptic.cpu().numpy().astype(np.int32),
        instances=instances)


@METRICS.register_module()
class DumpPanopticResults(DumpResults):
    """Pickle per image the panoptic map and the instance list (see
    :func:`prediction_record`), not whole data samples: logits, center
    heatmaps, offsets and per-instance masks would make the file hundreds
    of times larger.

    Args:
        out_file_path (str): ``.pkl`` or ``.pickle`` file to write.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        collect_dir (str, optional): Folder for gathering on CPU.
    """

    default_prefix = 'dump'

    def process(self, data_batch, predictions: Sequence) -> None:
        """Keep the panoptic map and instance list of each prediction."""
        self.results.extend(prediction_record(p) for p in predictions)
