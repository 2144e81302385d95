"""Export to ONNX and the onnxruntime / TensorRT backends."""
from .backends import (BACKENDS, BackendModel, OnnxRuntimeBackend,
                       TensorRTBackend, build_backend, outputs_to_sample)
from .export_module import PanopticExportModule
from .onnx_export import build_export_module, export_onnx, read_metadata
from .verify import compare_samples, format_table, verify_export

__all__ = [
    'BACKENDS', 'BackendModel', 'OnnxRuntimeBackend', 'TensorRTBackend',
    'build_backend', 'outputs_to_sample', 'PanopticExportModule',
    'build_export_module', 'export_onnx', 'read_metadata', 'compare_samples',
    'format_table', 'verify_export'
]
