"""Parameter and MAC counts, the paper's way and in full.

The paper counts MACs with fvcore over convolutions and linear layers (and
the matrix products of attention); we use mmengine's copy of fvcore's
counter; norms, pooling and element-wise work are
left out. ``macs_full`` adds them: norms, pooling windows and each
element-wise op count one MAC per element they touch (pooling: one per
window element).
"""
from functools import reduce
from operator import mul
from typing import Any, Dict, Sequence

import torch.nn as nn
from mmengine.analysis import FlopAnalyzer

PAPER_OPS = ('aten::_convolution', 'aten::addmm', 'aten::linear',
             'aten::matmul', 'aten::bmm', 'aten::einsum',
             'aten::scaled_dot_product_attention')
NORM_OPS = ('aten::group_norm', 'aten::layer_norm', 'aten::batch_norm',
            'aten::native_layer_norm')
# addcmul and square: the MetaFormer Baselines' StarReLU, SquaredReLU and
# one-group norm.
ELEMENTWISE_OPS = ('aten::add', 'aten::add_', 'aten::sub', 'aten::mul',
                   'aten::mul_', 'aten::gelu', 'aten::relu', 'aten::relu_',
                   'aten::silu', 'aten::silu_', 'aten::mean', 'aten::addcmul',
                   'aten::square')


def _numel(value: Any) -> int:
    shape = value.type().sizes()
    return reduce(mul, shape, 1) if shape else 0


def _attention_macs(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    batch, heads, tokens, head_dim = inputs[0].type().sizes()
    keys = inputs[1].type().sizes()[2]
    return 2 * batch * heads * tokens * keys * head_dim


def _output_elements(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    return _numel(outputs[0])


def _input_elements(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    return _numel(inputs[0])


def _pool_macs(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    kernel = [size.toIValue() for size in inputs[1].node().inputs()]
    return _numel(outputs[0]) * reduce(mul, kernel, 1)


def count_complexity(model: nn.Module,
                     inputs: Any) -> Dict[str, Any]:
    """Counts parameters and MACs of ``model(*inputs)``.

    Args:
        model (nn.Module): The model, in eval mode.
        inputs (Tensor | tuple): What ``model`` is called with.

    Returns:
        dict: ``params``; ``macs`` (convolutions, linear layers and
        attention products, as the paper counts); ``macs_full`` (plus norms,
        pooling and element-wise ops); ``by_operator`` (the full count by
        operator).
    """
    analysis = FlopAnalyzer(model, inputs)
    analysis.set_op_handle('aten::scaled_dot_product_attention',
                           _attention_macs)
    for op in NORM_OPS:
        analysis.set_op_handle(op, _input_elements)
    for op in ELEMENTWISE_OPS:
        analysis.set_op_handle(op, _output_elements)
    analysis.set_op_handle('aten::avg_pool2d', _pool_macs)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings('none')
    by_operator = dict(analysis.by_operator())
    paper_names = {'conv', 'addmm', 'linear', 'matmul', 'bmm', 'einsum',
                   'scaled_dot_product_attention'}
    return dict(
        params=sum(p.numel() for p in model.parameters()),
        macs=sum(v for k, v in by_operator.items() if k in paper_names),
        macs_full=sum(by_operator.values()),
        by_operator=by_operator)
