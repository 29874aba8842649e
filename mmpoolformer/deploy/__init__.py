from .onnx import check_onnx, export_onnx
from .tensor_mode import TensorMode

__all__ = ['TensorMode', 'check_onnx', 'export_onnx']
