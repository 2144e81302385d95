"""``PanopticTTAModel``: flip / multi-scale test-time augmentation.

For every augmented copy the wrapped ``PanopticDeepLab`` returns its raw
maps at the original image size with flips undone and offsets rescaled
(``predict_raw``); the softmax probabilities, center heatmaps and offsets
are averaged over the copies and post-processed once.
"""
from typing import List

import torch
from mmengine.model import BaseTTAModel

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
        raw = dict(
            sem_logits=probs.log(),
            sem_probs=probs,
            sem_seg=probs.max(0).indices,
            center=center,
            offset=offset)
        return self.module.post_processor.predict(
            raw, sample, getattr(self.module, 'dataset_meta', None))

    def merge_preds(self, data_samples_list):
        """Not used: :meth:`test_step` merges raw maps instead."""
        raise NotImplementedError('PanopticTTAModel merges in test_step')
