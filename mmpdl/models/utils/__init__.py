"""Model helpers: padding, prediction resizing, training targets and
state-dict conversion from the original implementation."""
