"""Normalisation and activation layers a MetaFormer stage can be built with."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def _explicit_normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Per-sample normalisation in elementary ops, for ONNX export: runtimes
    that mishandle the InstanceNormalization that GroupNorm exports to (a
    known TensorRT issue with one group) still compute it right."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dim=(1, 2, 3), keepdim=True)
    return centered / torch.sqrt(var + eps)


def normalize_per_sample(x: torch.Tensor, eps: float) -> torch.Tensor:
    """GroupNorm with one group and no affine, fast in both memory formats.

    One group normalises all of a sample's values, which is a LayerNorm over
    the flattened sample; flattening in memory order keeps it a view, where
    ``F.group_norm`` is about twice as slow on channels-last tensors on CPU.
    """
    if torch.onnx.is_in_onnx_export():
        return _explicit_normalize(x, eps)
    n, c, h, w = x.shape
    if x.is_contiguous() or not x.is_contiguous(
            memory_format=torch.channels_last):
        flat = x.reshape(n, -1)
        return F.layer_norm(flat, flat.shape[1:], eps=eps).view(n, c, h, w)
    flat = x.permute(0, 2, 3, 1).reshape(n, -1)
    out = F.layer_norm(flat, flat.shape[1:], eps=eps)
    return out.view(n, h, w, c).permute(0, 3, 1, 2)


class GroupNorm1(nn.GroupNorm):
    """GroupNorm with a single group: normalises over (C, H, W) per sample.

    This is the norm of the official PoolFormer. Channels-last inputs take
    :func:`normalize_per_sample`.

    Args:
        num_channels (int): Number of channels.
        eps (float): Added to the variance. Defaults to 1e-5.
    """

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__(1, num_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_contiguous() and not torch.onnx.is_in_onnx_export():
            return super().forward(x)
        return torch.addcmul(self.bias[:, None, None],
                             normalize_per_sample(x, self.eps),
                             self.weight[:, None, None])


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a (N, C, H, W) tensor, per position.

    Args:
        num_channels (int): Number of channels.
        eps (float): Added to the variance. Defaults to 1e-5.
    """

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__(num_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


NORM_LAYERS = {'gn': GroupNorm1, 'ln': LayerNorm2d, 'bn': nn.BatchNorm2d}
ACT_LAYERS = {'gelu': nn.GELU, 'relu': nn.ReLU, 'silu': nn.SiLU}


def _lookup(table: dict, name: str, what: str) -> type:
    if name not in table:
        raise ValueError(
            f'unknown {what} {name!r}: choose one of {sorted(table)}')
    return table[name]


def build_norm(name: str, num_channels: int) -> nn.Module:
    """Builds the norm called ``name`` ('gn', 'ln' or 'bn')."""
    return _lookup(NORM_LAYERS, name, 'norm')(num_channels)


def build_act(name: str) -> nn.Module:
    """Builds the activation called ``name`` ('gelu', 'relu' or 'silu')."""
    return _lookup(ACT_LAYERS, name, 'activation')()
