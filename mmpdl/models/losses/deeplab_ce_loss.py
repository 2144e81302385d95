"""Cross-entropy with pixel weights and top-k hard pixel mining."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpdl.registry import MODELS


@MODELS.register_module()
class DeepLabCELoss(nn.Module):
    """Pixel-weighted cross-entropy keeping only the hardest pixels.

    This is the semantic loss of Panoptic-DeepLab (``hard_pixel_mining`` in
    the original code, after TensorFlow DeepLab). For every pixel the
    cross-entropy ``-log softmax(logits)[label]`` is multiplied by its pixel
    weight; pixels labelled ``ignore_index`` get a loss of 0. The per-pixel
    losses of the whole batch are flattened and, when
    ``top_k_percent_pixels < 1``, only the ``k = int(top_k_percent_pixels *
    N * H * W)`` largest are kept; the loss is their mean times
    ``loss_weight``.

    Normalisation follows the original implementation exactly: ``k`` is a
    fraction of *all* pixels of the batch, ignored ones included (they take
    part in the top-k with a loss of 0), not of the valid pixels only; with
    ``top_k_percent_pixels == 1`` the mean is also over all pixels. If ``k``
    is 0 (a tiny input) the loss is 0 instead of the mean of nothing.

    Args:
        top_k_percent_pixels (float): Fraction in (0, 1] of pixels kept.
            Defaults to 0.2 (the reference value).
        ignore_index (int, optional): Label whose pixels have no loss: the
            dataset's ignore index, which ``fill_dataset_meta`` writes into
            the config (None until then; a loss computed with None raises).
        loss_weight (float): Factor on the loss. Defaults to 1.0.
        loss_name (str): Key of the loss in the loss dict (must start with
            ``loss_`` to be summed by mmengine). Defaults to ``'loss_sem'``.
    """

    def __init__(self,
                 top_k_percent_pixels: float = 0.2,
                 ignore_index: Optional[int] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_sem'):
        super().__init__()
        if not 0.0 < top_k_percent_pixels <= 1.0:
            raise ValueError('DeepLabCELoss: top_k_percent_pixels must be in '
                             f'(0, 1], got {top_k_percent_pixels}')
        self.top_k_percent_pixels = float(top_k_percent_pixels)
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """Key of this loss in the segmentor's loss dict."""
        return self._loss_name

    def forward(self,
                logits: torch.Tensor,
                labels: torch.Tensor,
                pixel_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): (N, C, H, W) float class scores.
            labels (Tensor): (N, H, W) int64 class ids, ``ignore_index`` =
                no loss.
            pixel_weights (Tensor, optional): (N, H, W) float per-pixel
                weights (e.g. 3 on small instances). Defaults to all ones.

        Returns:
            Tensor: Scalar loss.
        """
        if logits.dim() != 4 or labels.shape != (logits.shape[0],
                                                 *logits.shape[2:]):
            raise ValueError('DeepLabCELoss: expected logits (N, C, H, W) and '
                             'labels (N, H, W), got '
                             f'{tuple(logits.shape)} and '
                             f'{tuple(labels.shape)}')
        if self.ignore_index is None:
            raise ValueError(
                'DeepLabCELoss: ignore_index is None; it stands for the '
                "dataset's ignore index, which mmpdl.datasets."
                'fill_dataset_meta(cfg) writes into the config before the '
                'model is built (tools/train.py does)')
        pixel_losses = F.cross_entropy(
            logits,
            labels.long(),
            ignore_index=self.ignore_index,
            reduction='none')
        if pixel_weights is not None:
            pixel_losses = pixel_losses * pixel_weights
        pixel_losses = pixel_losses.reshape(-1)
        if self.top_k_percent_pixels < 1.0:
            top_k = int(self.top_k_percent_pixels * pixel_losses.numel())
            if top_k == 0:
                return pixel_losses.sum() * 0.0
            # sorted, as the original and detectron2 call it: the mean then
            # adds the kept losses in the same order, so the loss is theirs
            # to the last bit (sorted=False returns tied values in another
            # order: 1e-7 relative, measured with
            # tools/model_converters/verify_training_against_original.py)
            pixel_losses = torch.topk(pixel_losses, top_k)[0]
        return pixel_losses.mean() * self.loss_weight
