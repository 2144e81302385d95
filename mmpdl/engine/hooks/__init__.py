"""Hooks."""
from .visualization_hook import (PanopticTrainVisualizationHook,
                                 PanopticVisualizationHook)

__all__ = ['PanopticTrainVisualizationHook', 'PanopticVisualizationHook']
