"""mmpdl.evaluation."""
