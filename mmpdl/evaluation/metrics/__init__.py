"""mmpdl.evaluation.metrics."""
