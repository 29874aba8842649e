"""A 1x1-convolution MLP as two oneDNN convolutions with GELU and the
residual sum fused in: the CPU kernels that ``torch.compile`` (inductor)
emits for a convolution and a point-wise op, called in eager mode. Fusing
saves a pass over the MLP's hidden tensor and one over the output.
"""
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


def can_run(x: torch.Tensor, fc1: nn.Conv2d, act: nn.Module) -> bool:
    """Whether :func:`mlp_add_` can run the MLP for ``x``: 1x1
    convolutions of float32 maps on the CPU in the channels-last format,
    without autocast, with exact GELU."""
    return (POINTWISE_OPS is not None and isinstance(fc1, nn.Conv2d)
            and x.device.type == 'cpu'
            and x.dtype == fc1.weight.dtype == torch.float32
            and x.is_contiguous(memory_format=torch.channels_last)
            and not torch.is_autocast_enabled('cpu')
            and type(act) is nn.GELU and act.approximate == 'none')


def mlp_add_(x: torch.Tensor, y: torch.Tensor, fc1: nn.Conv2d,
             fc2: nn.Conv2d) -> torch.Tensor:
    """Returns ``x + fc2(gelu(fc1(y)))``, written into ``x``.

    No autograd: for inference, on tensors :func:`can_run` accepts.
    """
    conv_act, conv_add_ = POINTWISE_OPS
    hidden = conv_act(y, fc1.weight, fc1.bias, *_ONE, 'gelu', [], 'none')
    return conv_add_(x, hidden, fc2.weight, fc2.bias, *_ONE, 'add', None,
                     None, [], None)
