"""``PackPanopticInputs``: results dict -> (inputs, PanopticDataSample)."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData

from mmpdl.registry import TRANSFORMS
from mmpdl.structures import SAMPLE_KEY, PanopticDataSample

#: results key -> (data sample field, dtype)
GT_FIELDS = {
    'gt_seg_map': ('gt_sem_seg', torch.int64),
    'gt_panoptic_seg': ('gt_panoptic_seg', torch.int64),
    'gt_center': ('gt_center', torch.float32),
    'gt_offset': ('gt_offset', torch.float32),
    'gt_sem_weights': ('gt_sem_weights', torch.float32),
    'gt_center_weights': ('gt_center_weights', torch.float32),
    'gt_offset_weights': ('gt_offset_weights', torch.float32),
}


@TRANSFORMS.register_module()
class PackPanopticInputs(BaseTransform):
    """Pack the image as a (3, H, W) uint8 tensor (BGR, as loaded) and the
    label maps present in ``results`` as ``PixelData`` fields of a
    :class:`PanopticDataSample` (each (C, H, W); see its docstring).

    The default ``meta_keys`` carry the dataset's :class:`PanopticMetaInfo`
    (``panoptic_meta``) to the post-processor and the loss.

    Args:
        meta_keys (tuple[str]): Keys copied into the sample's metainfo.
    """

    def __init__(
        self,
        meta_keys=('img_path', 'image_id', 'pan_map_path', 'pan_file_name',
                   'ori_shape', 'img_shape', 'pad_shape', 'scale_factor',
                   'flip', 'flip_direction', 'reduce_zero_label', SAMPLE_KEY)):
        self.meta_keys = meta_keys

    def transform(self, results: dict) -> dict:
        """Pack ``results``."""
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = PanopticDataSample()
        for key, (field, dtype) in GT_FIELDS.items():
            if key not in results:
                continue
            data = torch.from_numpy(np.ascontiguousarray(results[key]))
            if data.ndim == 2:
                data = data[None]
            setattr(sample, field, PixelData(data=data.to(dtype)))
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
