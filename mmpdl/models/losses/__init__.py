"""mmpdl.models.losses."""
from .deeplab_ce_loss import DeepLabCELoss
from .weighted_regression_loss import (WeightedL1Loss, WeightedMSELoss,
                                       weighted_pixel_mean)

__all__ = [
    'DeepLabCELoss', 'WeightedMSELoss', 'WeightedL1Loss', 'weighted_pixel_mean'
]
