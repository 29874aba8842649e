"""A 1x1-convolution MLP as two oneDNN convolutions with GELU and the
residual sum fused in (the CPU kernels inductor emits, called eagerly):
a pass over the hidden tensor and one over the output saved."""
import torch
import torch.nn as nn

_ONE = ([0, 0], [1, 1], [1, 1], 1)  # padding, stride, dilation, groups


def _pointwise_ops():
    """mkldnn's fused convolution ops, or None where torch lacks them."""
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return (torch.ops.mkldnn._convolution_pointwise.default,
                torch.ops.mkldnn._convolution_pointwise_.binary)
    except (AttributeError, RuntimeError):
        return None


POINTWISE_OPS = _pointwise_ops()


def _is_pointwise(layer: nn.Module) -> bool:
    """Whether ``layer`` is a plain 1x1 convolution."""
    return isinstance(layer, nn.Conv2d) and (
        layer.kernel_size, layer.stride, layer.padding, layer.dilation,
        layer.groups) == ((1, 1), (1, 1), (0, 0), (1, 1), 1)


def can_run(x: torch.Tensor, mlp: nn.Module) -> bool:
    """Whether :func:`mlp_add_` can run ``mlp`` (``fc2(act(fc1(x)))``) for
    ``x``: 1x1 convolutions of float32 maps on the CPU in the channels-last
    format, without autocast, with exact GELU."""
    fc1, act = mlp.fc1, mlp.act
    return (POINTWISE_OPS is not None and _is_pointwise(fc1)
            and _is_pointwise(mlp.fc2) and x.device.type == 'cpu'
            and x.dtype == fc1.weight.dtype == torch.float32
            and x.is_contiguous(memory_format=torch.channels_last)
            and not torch.is_autocast_enabled('cpu')
            and type(act) is nn.GELU and act.approximate == 'none')


def mlp_add_(x: torch.Tensor, y: torch.Tensor,
             mlp: nn.Module) -> torch.Tensor:
    """``x + mlp(y)`` written into ``x``, without autograd, where
    :func:`can_run`."""
    conv_act, conv_add_ = POINTWISE_OPS
    fc1, fc2 = mlp.fc1, mlp.fc2
    hidden = conv_act(y, fc1.weight, fc1.bias, *_ONE, 'gelu', [], 'none')
    return conv_add_(x, hidden, fc2.weight, fc2.bias, *_ONE, 'add', None,
                     None, [], None)
