"""Tests of mmpdl.models."""
