"""mmpdl.datasets.transforms."""
