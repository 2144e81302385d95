"""Data structures."""
from .panoptic_data_sample import PanopticDataSample

__all__ = ['PanopticDataSample']
