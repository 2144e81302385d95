"""Checkpoint conversion between foreign formats and mmpdl."""
