"""ONNX export with a numerical check against PyTorch in onnxruntime."""
from typing import Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

OPSET = 17


def export_onnx(module: nn.Module,
                inputs: torch.Tensor,
                path: str,
                output_names: Sequence[str] = ('output', ),
                dynamic: bool = True) -> str:
    """Exports ``module(inputs)`` to ``path``.

    Args:
        module (nn.Module): In eval mode.
        inputs (Tensor): An example (N, 3, H, W) input.
        path (str): Where the ``.onnx`` file goes.
        output_names (Sequence[str]): One name an output.
        dynamic (bool): Batch and image size dynamic. Whole detectors and
            segmentors size their resizes from the input while tracing, so
            export them static. Defaults to True.

    Returns:
        str: ``path``.
    """
    axes = {0: 'batch', 2: 'height', 3: 'width'}
    torch.onnx.export(
        module, (inputs, ),
        path,
        dynamo=False,
        opset_version=OPSET,
        input_names=['input'],
        output_names=list(output_names),
        dynamic_axes={name: axes
                      for name in ['input', *output_names]}
        if dynamic else None)
    return path


def check_onnx(path: str, module: nn.Module,
               inputs: torch.Tensor) -> Tuple[float, Sequence[str]]:
    """Runs ``path`` in onnxruntime and PyTorch on ``inputs``.

    Returns:
        tuple: the max abs difference over all outputs, and the ONNX
        operator types in the graph.
    """
    import onnx
    import onnxruntime

    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    actual = session.run(None, {'input': inputs.numpy()})
    with torch.no_grad():
        expected = module(inputs)
    if isinstance(expected, torch.Tensor):
        expected = (expected, )
    if len(actual) != len(expected):
        raise RuntimeError(f'{path} gives {len(actual)} outputs, PyTorch '
                           f'{len(expected)}')
    diff = max(
        float(np.abs(a - e.numpy()).max()) for a, e in zip(actual, expected))
    ops = sorted({node.op_type for node in onnx.load(path).graph.node})
    return diff, ops
