"""mmpdl.visualization."""
