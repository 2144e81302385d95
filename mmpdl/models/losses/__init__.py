"""mmpdl.models.losses."""
