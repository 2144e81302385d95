"""Hooks."""
from .checkpoint_hook import SafeCheckpointHook
from .train_visualization_hook import PanopticTrainVisualizationHook
from .visualization_hook import PanopticVisualizationHook

__all__ = [
    'PanopticTrainVisualizationHook', 'PanopticVisualizationHook',
    'SafeCheckpointHook'
]
