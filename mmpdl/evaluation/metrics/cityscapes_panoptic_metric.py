"""``CityscapesPanopticMetric``: PQ/SQ/RQ equal to cityscapesscripts'."""
import os.path as osp
from typing import Optional, Tuple

from mmpdl.registry import METRICS
from mmpdl.structures import PanopticMetaInfo
from ..functional.cityscapes_writers import (cityscapes_image_id,
                                             write_semantic_png)
from ..functional.metric_inputs import sample_field
from .panoptic_quality_metric import PanopticQualityMetric


@METRICS.register_module()
class CityscapesPanopticMetric(PanopticQualityMetric):
    """:class:`PanopticQualityMetric` with the Cityscapes file layout.

    The same statistics and keys (prefix ``cityscapes_panoptic``); the
    written files are what cityscapesscripts' evaluators read:
    ``panoptic.json`` + ``panoptic/<city>_<seq>_<frame>_panoptic.png``
    (COCO panoptic, Cityscapes label ids) and
    ``semantic/<city>_<seq>_<frame>_pred_labelIds.png`` (when the sample
    has ``pred_sem_seg``).

    Args:
        format_only (bool): Only write the submission files (needs
            ``outfile_prefix``) and return no metric.
        outfile_prefix (str, optional): Folder to write the files into
            (also when evaluating).
        collect_device (str): ``'cpu'`` or ``'gpu'`` for gathering results.
        prefix (str, optional): Key prefix, default ``cityscapes_panoptic``.
    """

    default_prefix = 'cityscapes_panoptic'

    def __init__(self,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            format_only=format_only,
            outfile_prefix=outfile_prefix,
            collect_device=collect_device,
            prefix=prefix)

    @property
    def png_dir(self) -> str:
        """``<outfile_prefix>/panoptic``."""
        return osp.join(self.outfile_prefix, 'panoptic')

    @property
    def json_path(self) -> str:
        """``<outfile_prefix>/panoptic.json``."""
        return osp.join(self.outfile_prefix, 'panoptic.json')

    def image_names(self, sample) -> Tuple[str, str]:
        """``(<city>_<seq>_<frame>, <city>_<seq>_<frame>_panoptic.png)``."""
        image_id = cityscapes_image_id(sample_field(sample, 'img_path'))
        return image_id, f'{image_id}_panoptic.png'

    def write_sample(self, sample, pred, meta: PanopticMetaInfo) -> dict:
        """Write the panoptic and semantic PNGs of one sample."""
        annotation = super().write_sample(sample, pred, meta)
        sem = sample_field(sample, 'pred_sem_seg', required=False)
        if sem is not None:
            write_semantic_png(sem.cpu().numpy(), annotation['image_id'],
                               osp.join(self.outfile_prefix, 'semantic'),
                               meta.label_ids)
        return annotation
