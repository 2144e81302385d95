"""mmpdl.datasets."""
