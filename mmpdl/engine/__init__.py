"""mmpdl.engine."""
