from .onnx import check_onnx, export_onnx

__all__ = ['check_onnx', 'export_onnx']
