"""``PanopticDataSample``: the data interface between mmpdl's components."""
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample


def _pixel_property(name, doc):
    """A typed ``PixelData`` field ``name`` of a data sample."""

    def getter(self):
        return getattr(self, f'_{name}')

    def setter(self, value):
        self.set_field(value, f'_{name}', dtype=PixelData)

    def deleter(self):
        del self[f'_{name}']

    return property(getter, setter, deleter, doc)


class PanopticDataSample(SegDataSample):
    """mmseg's ``SegDataSample`` with the panoptic fields of Panoptic-DeepLab.

    All pixel maps are ``PixelData`` whose ``data`` is a tensor of shape
    ``(C, H, W)``:

    Ground truth (made by the pipeline):
        - ``gt_sem_seg``: (1, H, W) int64 train ids, 255 = ignore.
        - ``gt_panoptic_seg``: (1, H, W) int64,
          ``train_id * label_divisor + k``; k >= 1 a thing instance, k = 0
          stuff or a crowd region of a thing class; void
          ``= ignore_index * label_divisor``.
        - ``gt_center``: (1, H, W) float32 heatmap in [0, 1].
        - ``gt_offset``: (2, H, W) float32 (dy, dx) from pixel to centroid.
        - ``gt_sem_weights``, ``gt_center_weights``, ``gt_offset_weights``:
          (1, H, W) float32 per-pixel loss weights.

    Predictions (made by the segmentor):
        - ``seg_logits``: (C, H, W) float32 semantic logits (from mmseg).
        - ``pred_sem_seg``: (1, H, W) int64 train ids (from mmseg).
        - ``pred_center``: (1, H, W) float32 center heatmap.
        - ``pred_offset``: (2, H, W) float32 (dy, dx).
        - ``pred_panoptic_seg``: (1, H, W) int64 in the ground truth's
          encoding (instance ids restart at 1 for every class).
        - ``pred_instances``: ``InstanceData`` with ``masks`` (K, H, W) bool,
          ``labels`` (K,) int64 train ids, ``scores`` (K,) float32 (mean
          semantic probability of the class in the mask) and
          ``scores_sem_x_ctr`` (K,) float32 (that times the center heatmap
          at the mask centroid), ``instance_ids`` (K,) int64 (its id in
          ``pred_panoptic_seg``).
    """

    gt_panoptic_seg = _pixel_property('gt_panoptic_seg',
                                      'Panoptic ground truth (1, H, W).')
    gt_center = _pixel_property('gt_center', 'Center heatmap target.')
    gt_offset = _pixel_property('gt_offset', 'Offset target (2, H, W).')
    gt_sem_weights = _pixel_property('gt_sem_weights',
                                     'Semantic loss weights.')
    gt_center_weights = _pixel_property('gt_center_weights',
                                        'Center loss weights.')
    gt_offset_weights = _pixel_property('gt_offset_weights',
                                        'Offset loss weights.')
    pred_panoptic_seg = _pixel_property('pred_panoptic_seg',
                                        'Panoptic prediction (1, H, W).')
    pred_center = _pixel_property('pred_center', 'Predicted heatmap.')
    pred_offset = _pixel_property('pred_offset', 'Predicted offsets.')

    @property
    def pred_instances(self) -> InstanceData:
        """Predicted instances (masks, labels, two scores)."""
        return self._pred_instances

    @pred_instances.setter
    def pred_instances(self, value: InstanceData):
        self.set_field(value, '_pred_instances', dtype=InstanceData)

    @pred_instances.deleter
    def pred_instances(self):
        del self._pred_instances
