"""mmpdl.models.backbones."""
