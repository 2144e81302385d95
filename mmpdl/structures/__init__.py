"""Data structures."""
from .panoptic_data_sample import PanopticDataSample
from .panoptic_meta import (IGNORE_INDEX, LABEL_DIVISOR, SAMPLE_KEY,
                            PanopticMetaInfo, default_palette)

__all__ = [
    'IGNORE_INDEX', 'LABEL_DIVISOR', 'PanopticDataSample', 'PanopticMetaInfo',
    'SAMPLE_KEY', 'default_palette'
]
