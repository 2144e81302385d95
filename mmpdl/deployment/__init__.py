"""Export of a built model to ONNX and the registered backends that run the
file (``mmpdl.registry.BACKENDS``: onnxruntime, TensorRT). Imports
``mmpdl.apis`` never (``tests/test_imports.py``)."""
from mmpdl.registry import BACKENDS
from .backends import (BackendModel, OnnxRuntimeBackend, TensorRTBackend,
                       outputs_to_sample)
from .export_module import PanopticExportModule
from .onnx_export import export_onnx, read_metadata
from .verify import compare_samples, format_table, verify_export

__all__ = [
    'BACKENDS', 'BackendModel', 'OnnxRuntimeBackend', 'TensorRTBackend',
    'outputs_to_sample', 'PanopticExportModule', 'export_onnx',
    'read_metadata', 'compare_samples', 'format_table', 'verify_export'
]
