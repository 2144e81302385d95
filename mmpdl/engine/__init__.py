"""Engine components: hooks and the log processor."""
from .hooks import *  # noqa: F401,F403
from .log_processor import PanopticLogProcessor

__all__ = ['PanopticLogProcessor']
