"""mmpdl.engine.hooks."""
