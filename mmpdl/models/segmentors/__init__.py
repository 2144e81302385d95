"""mmpdl.models.segmentors."""
