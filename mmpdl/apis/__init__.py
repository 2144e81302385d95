"""mmpdl.apis."""
