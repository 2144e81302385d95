"""``PanopticTTAModel``: flip / multi-scale test-time augmentation.

For every augmented copy the wrapped ``PanopticDeepLab`` returns its raw
maps at the original image size with flips undone and offsets rescaled
(``predict_raw``); the softmax probabilities, center heatmaps and offsets
are averaged over the copies and post-processed once.
"""
from typing import List

import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData

from mmpdl.models.post_processing import get_panoptic_segmentation
from mmpdl.registry import MODELS


@MODELS.register_module()
class PanopticTTAModel(BaseTTAModel):
    """Average raw Panoptic-DeepLab outputs over augmentations.

    Args:
        module (dict | nn.Module): The ``PanopticDeepLab`` segmentor.
    """

    def test_step(self, data) -> List:
        """Predict every augmented copy, merge, post-process.

        Args:
            data (dict): ``inputs`` and ``data_samples``, each a list over
                augmentations of per-image lists (mmengine's TestTimeAug).

        Returns:
            list[PanopticDataSample]: One merged prediction per image.
        """
        num_augs = len(data['inputs'])
        raw_per_aug, samples = [], None
        for idx in range(num_augs):
            one = self.module.data_preprocessor(
                dict(
                    inputs=data['inputs'][idx],
                    data_samples=data['data_samples'][idx]), False)
            metas = [s.metainfo for s in one['data_samples']]
            with torch.no_grad():
                raw_per_aug.append(
                    self.module.predict_raw(one['inputs'], metas))
            if samples is None:
                samples = one['data_samples']
        return [
            self._merge([aug[i] for aug in raw_per_aug], samples[i])
            for i in range(len(samples))
        ]

    def _merge(self, raws: List[dict], sample):
        probs = torch.stack([r['sem_probs'] for r in raws]).mean(0)
        center = torch.stack([r['center'] for r in raws]).mean(0)
        offset = torch.stack([r['offset'] for r in raws]).mean(0)
        sem = probs.max(0).indices
        result = get_panoptic_segmentation(
            probs[None],
            center[None],
            offset[None],
            sem_seg=sem[None],
            **self.module.post_processing_cfg())[0]
        sample.seg_logits = PixelData(data=probs.log())
        sample.pred_sem_seg = PixelData(data=sem[None])
        sample.pred_center = PixelData(data=center)
        sample.pred_offset = PixelData(data=offset)
        sample.pred_panoptic_seg = PixelData(data=result['panoptic'][None])
        sample.pred_instances = result['instances']
        return sample

    def merge_preds(self, data_samples_list):
        """Not used: :meth:`test_step` merges raw maps instead."""
        raise NotImplementedError('PanopticTTAModel merges in test_step')
