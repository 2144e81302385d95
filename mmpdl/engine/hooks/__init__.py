"""Hooks."""
from .checkpoint_fit_hook import CheckpointFitHook
from .checkpoint_hook import PanopticCheckpointHook
from .train_visualization_hook import PanopticTrainVisualizationHook
from .visualization_hook import PanopticVisualizationHook

__all__ = [
    'CheckpointFitHook', 'PanopticCheckpointHook',
    'PanopticTrainVisualizationHook', 'PanopticVisualizationHook'
]
