"""mmpdl.models.post_processing."""
