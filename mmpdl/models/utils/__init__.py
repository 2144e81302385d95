"""Model helpers: padding, prediction resizing and training targets."""
