"""mmpdl.models.decode_heads."""
