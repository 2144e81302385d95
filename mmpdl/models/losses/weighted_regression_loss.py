"""MSE and L1 losses masked and normalised by per-pixel weights."""
import torch
import torch.nn as nn

from mmpdl.registry import MODELS


def weighted_pixel_mean(pixel_losses: torch.Tensor,
                        pixel_weights: torch.Tensor,
                        over_channels: bool = True) -> torch.Tensor:
    """Weighted mean of element losses, 0 when all weights are 0.

    The weights are broadcast over the channels of ``pixel_losses``. With
    ``over_channels`` the normaliser is ``C * sum(pixel_weights)`` (this is
    what the original Panoptic-DeepLab does: it expands the weights to the
    prediction's shape before summing them); without, ``sum(pixel_weights)``
    (detectron2: its (N, 1, H, W) weights are summed before broadcasting,
    so its 2-channel offset loss is twice the original's).

    Args:
        pixel_losses (Tensor): (N, C, H, W) float element-wise losses.
        pixel_weights (Tensor): (N, H, W) or (N, 1, H, W) float weights.
        over_channels (bool): Count the weights once per channel.

    Returns:
        Tensor: Scalar ``sum(l * w) / sum(w)``, or exactly 0 (with a
        gradient path) when ``sum(w) == 0``.
    """
    if pixel_weights.dim() == 3:
        pixel_weights = pixel_weights[:, None]
    weights = pixel_weights.expand_as(pixel_losses) if over_channels \
        else pixel_weights
    total = (pixel_losses * weights).sum()
    weight_sum = weights.sum()
    # An all-zero mask gives 0 / 1 = 0 instead of 0 / 0 = NaN; no host sync.
    safe_sum = torch.where(weight_sum > 0, weight_sum,
                           torch.ones_like(weight_sum))
    return total / safe_sum


class _WeightedRegressionLoss(nn.Module):
    """Shared part of :class:`WeightedMSELoss` and :class:`WeightedL1Loss`.

    Args:
        loss_weight (float): Factor on the loss.
        loss_name (str): Key of the loss in the segmentor's loss dict.
        normalize_over_channels (bool): Divide by ``C * sum(w)`` (the
            original) rather than ``sum(w)`` (detectron2); see
            :func:`weighted_pixel_mean`.
    """

    def __init__(self,
                 loss_weight: float,
                 loss_name: str,
                 normalize_over_channels: bool = True):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name
        self.normalize_over_channels = normalize_over_channels

    @property
    def loss_name(self) -> str:
        """Key of this loss in the segmentor's loss dict."""
        return self._loss_name

    def element_loss(self, pred: torch.Tensor,
                     target: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) element-wise loss; defined by subclasses."""
        raise NotImplementedError

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                pixel_weights: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): (N, C, H, W) float prediction.
            target (Tensor): (N, C, H, W) float target.
            pixel_weights (Tensor): (N, H, W) or (N, 1, H, W) float weights
                (0 masks a pixel out).

        Returns:
            Tensor: Scalar ``loss_weight * sum(l * w) / sum(w)``, 0 when all
            weights are 0.
        """
        if pred.shape != target.shape:
            raise ValueError(f'{type(self).__name__}: prediction shape '
                             f'{tuple(pred.shape)} != target shape '
                             f'{tuple(target.shape)}')
        losses = self.element_loss(pred, target)
        return weighted_pixel_mean(
            losses, pixel_weights,
            self.normalize_over_channels) * self.loss_weight


@MODELS.register_module()
class WeightedMSELoss(_WeightedRegressionLoss):
    """Squared error normalised by the sum of the pixel weights.

    The center-heatmap loss of Panoptic-DeepLab: ``loss_weight *
    sum((pred - target)^2 * w) / sum(w)`` with ``w`` the center weights
    (0 on ignored and crowd pixels), and 0 when every weight is 0.

    Args:
        loss_weight (float): Defaults to 200.0 (the reference value).
        loss_name (str): Defaults to ``'loss_center'``.
    """

    def __init__(self,
                 loss_weight: float = 200.0,
                 loss_name: str = 'loss_center',
                 normalize_over_channels: bool = True):
        super().__init__(loss_weight, loss_name, normalize_over_channels)

    def element_loss(self, pred: torch.Tensor,
                     target: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) squared error."""
        return (pred - target)**2


@MODELS.register_module()
class WeightedL1Loss(_WeightedRegressionLoss):
    """Absolute error normalised by the sum of the expanded pixel weights.

    The offset loss of Panoptic-DeepLab: the (N, H, W) offset weights are
    expanded over the two channels (dy, dx), so the loss is ``loss_weight *
    sum(|pred - target| * w) / (2 * sum(w))``, i.e. the mean over the
    weighted elements; 0 when every weight is 0. detectron2 divides by
    ``sum(w)`` (``normalize_over_channels=False``): twice the loss, and
    twice its gradients, for the same ``loss_weight``.

    Args:
        loss_weight (float): Defaults to 0.01 (the reference value).
        loss_name (str): Defaults to ``'loss_offset'``.
        normalize_over_channels (bool): Divide by ``2 * sum(w)``.
    """

    def __init__(self,
                 loss_weight: float = 0.01,
                 loss_name: str = 'loss_offset',
                 normalize_over_channels: bool = True):
        super().__init__(loss_weight, loss_name, normalize_over_channels)

    def element_loss(self, pred: torch.Tensor,
                     target: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) absolute error."""
        return (pred - target).abs()
