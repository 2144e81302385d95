"""The Panoptic-DeepLab segmentor (mmseg ``BaseSegmentor`` API)."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmseg.models.segmentors import BaseSegmentor

from mmpdl.models.utils.align_padding import pad_to_aligned
from mmpdl.models.utils.panoptic_targets import stack_panoptic_targets
from mmpdl.models.utils.prediction_resize import (resize_offset,
                                                  upsample_predictions)
from mmpdl.registry import MODELS
from mmpdl.structures import SAMPLE_KEY, PanopticDataSample, PanopticMetaInfo


def _backbone_out_channels(backbone) -> Optional[Sequence[int]]:
    """Channels of the backbone's outputs, if it says (mmseg HRNet: from
    its stage-4 config)."""
    if hasattr(backbone, 'out_channels'):
        return tuple(backbone.out_channels)
    stage4 = getattr(backbone, 'stage4_cfg', None)
    if stage4 is not None:
        return tuple(stage4['num_channels'])
    return None


def check_head_fits_backbone(backbone, head) -> None:
    """Raise if the head reads features the backbone does not produce."""
    channels = _backbone_out_channels(backbone)
    if channels is None:
        return
    wanted = [('in_index', head.in_index, head.in_channels)] + [
        ('low_level_in_index', index, ch)
        for index, ch in zip(head.low_level_in_index, head.low_level_channels)
    ]
    for name, index, ch in wanted:
        if not -len(channels) <= index < len(channels):
            raise ValueError(
                f'decode_head.{name} entry {index} does not exist: the '
                f'backbone {type(backbone).__name__} produces '
                f'{len(channels)} features with channels {channels}')
        if channels[index] != ch:
            raise ValueError(
                f'decode_head expects {ch} channels at feature {index} '
                f'({name}) but the backbone {type(backbone).__name__} '
                f'gives {channels[index]} (its outputs: {channels})')


@MODELS.register_module()
class PanopticDeepLab(BaseSegmentor):
    """Panoptic-DeepLab: backbone + dual-decoder head + post-processing.

    "Pad, then crop": every forward pads the (N, 3, H, W) batch at the
    bottom/right to ``k * size_divisor + 1`` pixels (0 = the mean pixel
    after normalisation), runs the network, upsamples the stride-4 outputs
    to the padded size exactly as the original (bilinear,
    ``align_corners=True``, offsets times ``(H' - 1) // (h - 1)``) and crops
    back to (H, W). So any crop or image size works, and a 1025x2049 crop
    (the reference) is used as it is. Training losses are computed on the
    unpadded (H, W) region only. A head with ``align_corners=False``
    (detectron2's models) pads to ``k * size_divisor`` instead, as
    detectron2's size divisibility, and scales offsets by ``H' // h``.

    Args:
        backbone (dict): Backbone config (returns a tuple of features).
        decode_head (dict): :class:`PanopticDeepLabHead` config.
        post_processor (dict): :class:`PanopticDeepLabPostProcessor` config
            (thresholds; the dataset's classes come with the samples).
        train_cfg (dict, optional): Unused; kept for the mmseg API.
        test_cfg (dict, optional): Unused; kept for the mmseg API.
        data_preprocessor (dict, optional): e.g. ``SegDataPreProcessor``.
        size_divisor (int): Largest stride of the network, or a multiple of
            it that pads every input to one size (detectron2's COCO model:
            640). Defaults to 32.
        init_cfg (dict, optional): Init config.
    """

    def __init__(
            self,
            backbone: dict,
            decode_head: dict,
            post_processor: dict = dict(type='PanopticDeepLabPostProcessor'),
            train_cfg: Optional[dict] = None,
            test_cfg: Optional[dict] = None,
            data_preprocessor: Optional[dict] = None,
            size_divisor: int = 32,
            init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head)
        check_head_fits_backbone(self.backbone, self.decode_head)
        self.post_processor = MODELS.build(post_processor)
        self.align_corners = self.decode_head.align_corners
        self.num_classes = self.decode_head.num_classes
        self.size_divisor = size_divisor
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    def extract_feat(self, inputs: torch.Tensor) -> tuple:
        """(N, 3, H, W) -> tuple of backbone features."""
        return self.backbone(inputs)

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples=None) -> Dict[str, torch.Tensor]:
        """Head outputs at input resolution.

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.
            data_samples: Unused.

        Returns:
            dict[str, Tensor]: ``sem_seg`` (N, C, H, W) logits, ``center``
            (N, 1, H, W), ``offset`` (N, 2, H, W) (dy, dx) in input pixels.
        """
        padded, (height, width) = pad_to_aligned(
            inputs, self.size_divisor, align_corners=self.align_corners)
        preds = self.decode_head(self.extract_feat(padded))
        preds = upsample_predictions(preds, padded.shape[2:],
                                     self.align_corners)
        return {k: v[:, :, :height, :width] for k, v in preds.items()}

    def encode_decode(self, inputs: torch.Tensor,
                      batch_img_metas: List[dict]) -> torch.Tensor:
        """(N, 3, H, W) -> (N, C, H, W) semantic logits."""
        return self._forward(inputs)['sem_seg']

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[PanopticDataSample]) -> dict:
        """Semantic, center and offset losses of a batch.

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.
            data_samples (list[PanopticDataSample]): With the gt fields made
                by ``GeneratePanopticTargets``.

        Returns:
            dict[str, Tensor]: ``loss_sem``, ``loss_center``, ``loss_offset``.
        """
        outputs = self._forward(inputs)
        targets = stack_panoptic_targets(data_samples, inputs.shape[2:],
                                         self._ignore_index(data_samples))
        return self.decode_head.loss_by_feat(outputs, targets)

    def _ignore_index(self, data_samples) -> int:
        """The semantic loss's ``ignore_index``, checked (with the data
        preprocessor's ``seg_pad_val``, which padded the labels) against
        the dataset's of every sample: a config that writes another value,
        or a script that built the model without
        ``mmpdl.datasets.fill_dataset_meta``, stops before any step."""
        settings = dict(
            ignore_index=self.decode_head.loss_semantic.ignore_index,
            seg_pad_val=getattr(self.data_preprocessor, 'seg_pad_val', None))
        if not hasattr(self.data_preprocessor, 'seg_pad_val'):
            settings.pop('seg_pad_val')
        for sample in data_samples:
            meta = sample.metainfo.get(SAMPLE_KEY)
            if meta is None:
                continue
            meta = PanopticMetaInfo.of(meta, 'the segmentor')
            wrong = {
                k: v
                for k, v in settings.items() if v != meta.ignore_index
            }
            if wrong:
                raise ValueError(
                    f'the dataset\'s ignore_index is {meta.ignore_index} '
                    f'({sample.metainfo.get("img_path")}) but the model has '
                    f'{wrong} (loss ignore_index, data preprocessor '
                    'seg_pad_val): leave them None in the config and call '
                    'mmpdl.datasets.fill_dataset_meta(cfg) before building '
                    'the model (tools/train.py does)')
        if settings['ignore_index'] is None:
            raise ValueError(
                'the semantic loss has ignore_index=None and no sample names '
                'the dataset\'s: call mmpdl.datasets.fill_dataset_meta(cfg) '
                'before building the model (tools/train.py does)')
        return settings['ignore_index']

    def predict_raw(self, inputs: torch.Tensor,
                    batch_img_metas: List[dict]) -> List[dict]:
        """Network outputs per image at its original size.

        Removes the data preprocessor's padding (``padding_size`` /
        ``img_padding_size`` metainfo, else crops to ``img_shape``), undoes a
        flip (``flip`` / ``flip_direction``; the matching offset component
        changes sign) and resizes to ``ori_shape`` (bilinear,
        ``align_corners=True``; offsets are rescaled).

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.
            batch_img_metas (list[dict]): Metainfo of each image.

        Returns:
            list[dict]: Per image ``sem_logits`` (C, H0, W0), ``sem_probs``
            (C, H0, W0) softmax, ``center`` (1, H0, W0) and ``offset``
            (2, H0, W0), float32, (H0, W0) = ``ori_shape``.
        """
        outputs = self._forward(inputs)
        results = []
        for i, meta in enumerate(batch_img_metas):
            maps = {k: v[i:i + 1] for k, v in outputs.items()}
            maps = self._undo_test_transforms(maps, meta)
            results.append(
                dict(
                    sem_logits=maps['sem_seg'][0],
                    sem_probs=F.softmax(maps['sem_seg'][0], dim=0),
                    center=maps['center'][0],
                    offset=maps['offset'][0]))
        return results

    def _undo_test_transforms(self, maps: Dict[str, torch.Tensor],
                              meta: dict) -> Dict[str, torch.Tensor]:
        """Crop padding, unflip, resize (1, C, H, W) maps to ori_shape."""
        height, width = maps['sem_seg'].shape[2:]
        padding = meta.get('img_padding_size', meta.get('padding_size'))
        if padding is not None:
            left, right, top, bottom = padding
            rows = slice(top, height - bottom)
            cols = slice(left, width - right)
        else:
            img_h, img_w = meta.get('img_shape', (height, width))[:2]
            rows, cols = slice(0, img_h), slice(0, img_w)
        maps = {k: v[:, :, rows, cols] for k, v in maps.items()}
        if meta.get('flip', False):
            direction = meta.get('flip_direction', 'horizontal')
            if direction not in ('horizontal', 'vertical'):
                raise ValueError(f'unsupported flip_direction {direction!r}'
                                 "; use 'horizontal' or 'vertical'")
            dim, channel = (3, 1) if direction == 'horizontal' else (2, 0)
            maps = {k: v.flip(dims=(dim, )) for k, v in maps.items()}
            sign = torch.ones(2, device=maps['offset'].device)
            sign[channel] = -1
            maps['offset'] = maps['offset'] * sign.view(1, 2, 1, 1)
        ori_shape = tuple(meta.get('ori_shape', maps['sem_seg'].shape[2:]))
        ori_shape = ori_shape[:2]
        if tuple(maps['sem_seg'].shape[2:]) != ori_shape:
            for key in ('sem_seg', 'center'):
                maps[key] = F.interpolate(
                    maps[key],
                    size=ori_shape,
                    mode='bilinear',
                    align_corners=self.align_corners)
            maps['offset'] = resize_offset(maps['offset'], ori_shape,
                                           self.align_corners)
        return maps

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence] = None
                ) -> List[PanopticDataSample]:
        """Panoptic, semantic and instance predictions at original size.

        Args:
            inputs (Tensor): (N, 3, H, W) normalised images.
            data_samples (list[PanopticDataSample], optional): Carry the
                metainfo (``ori_shape``, ``img_shape``, padding, flip).

        Returns:
            list[PanopticDataSample]: With ``seg_logits``, ``pred_sem_seg``,
            ``pred_center``, ``pred_offset``, ``pred_panoptic_seg`` and
            ``pred_instances`` (see :class:`PanopticDataSample`).
        """
        if data_samples is None:
            shape = tuple(inputs.shape[2:])
            data_samples = [
                PanopticDataSample(
                    metainfo=dict(
                        img_shape=shape,
                        ori_shape=shape,
                        padding_size=[0, 0, 0, 0]))
                for _ in range(inputs.shape[0])
            ]
        raw = self.predict_raw(inputs, [s.metainfo for s in data_samples])
        meta = getattr(self, 'dataset_meta', None)
        return [
            self.post_processor.predict(out, sample, meta)
            for sample, out in zip(data_samples, raw)
        ]
