"""The norms and activations of MetaFormer stages: norms of (N, C, H, W)
maps and PoolFormerV2's of (N, H, W, C) maps (:class:`PerSampleNorm`)."""
from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.registry import DefaultScope

from mmpoolformer.registry import MODELS
from .aliases import resolve_alias


def _explicit_normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Per-sample normalisation in elementary ops, for ONNX export: runtimes
    that mishandle GroupNorm's InstanceNormalization (TensorRT with one
    group) compute these right."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dim=(1, 2, 3), keepdim=True)
    return centered / torch.sqrt(var + eps)


def normalize_per_sample(x: torch.Tensor, eps: float) -> torch.Tensor:
    """GroupNorm with one group and no affine: a LayerNorm over the sample
    flattened in memory order, a view in either memory format (CPU's
    ``F.group_norm`` is about twice as slow on channels-last tensors)."""
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


@MODELS.register_module('GN')
class GroupNorm(nn.GroupNorm):
    """``nn.GroupNorm`` as ``GN`` in our scope, the channels first as mmcv's
    ``build_norm_layer`` passes them to any class but ``nn.GroupNorm``; with
    one group (PoolFormer's norm) channels-last maps, and any map once
    ``fuse()`` has folded its weights away, take
    :func:`normalize_per_sample`.

    Args:
        num_channels (int): Channels.
        num_groups (int): Groups to normalise over. Defaults to 1.
        eps (float): Added to the variance. Defaults to 1e-5.
        affine (bool): Learn a per-channel weight and bias. Defaults to True.
    """

    def __init__(self,
                 num_channels: int,
                 num_groups: int = 1,
                 eps: float = 1e-5,
                 affine: bool = True) -> None:
        super().__init__(num_groups, num_channels, eps=eps, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.num_groups != 1 or not self.affine or (
                self.weight is not None and x.is_contiguous()
                and not torch.onnx.is_in_onnx_export()):
            return super().forward(x)
        x = normalize_per_sample(x, self.eps)
        if self.weight is None:  # folded away by fuse()
            return x
        return torch.addcmul(self.bias[:, None, None], x,
                             self.weight[:, None, None])


def is_one_group_norm(module: nn.Module) -> bool:
    """Whether ``module`` is a one-group :class:`GroupNorm` with affine."""
    return isinstance(module, GroupNorm) and module.num_groups == 1 \
        and module.affine


@MODELS.register_module('LN2d')
class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a (N, C, H, W) tensor, per position
    (the official MetaFormer's ``LayerNormChannel``, mmpretrain's ``LN2d``).

    Args:
        num_channels (int): Channels.
        eps (float): Added to the variance. Defaults to 1e-5.
    """

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__(num_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


@MODELS.register_module()
class PerSampleNorm(nn.Module):
    """Normalises each sample of a channels-last (N, H, W, C) map over all
    its positions and channels, then scales (and shifts) each channel: the
    one-group GroupNorm of PoolFormerV2 (the official ``LayerNormGeneral``
    over dims (1, 2, 3), timm's ``GroupNorm1NoBias``).

    Args:
        num_channels (int): Channels.
        eps (float): Added to the variance. Defaults to 1e-6.
        bias (bool): Learn a per-channel shift too. Defaults to False.
    """

    def __init__(self,
                 num_channels: int,
                 eps: float = 1e-6,
                 bias: bool = False) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x, x.shape[1:], eps=self.eps)
        if self.weight is None:  # folded away by fuse()
            return x
        if self.bias is None:
            return x * self.weight
        return torch.addcmul(self.bias, x, self.weight)


# Short names for the common configs.
NORM_ALIASES = {
    'gn': dict(type='GN', num_groups=1),
    'ln': dict(type='LN2d'),
    'bn': dict(type='BN'),
}
ACT_ALIASES = {
    'gelu': dict(type='GELU'),
    'relu': dict(type='ReLU'),
    'silu': dict(type='SiLU'),
}


def build_norm(cfg: Union[str, dict], num_channels: int) -> nn.Module:
    """The norm of ``num_channels`` for ``cfg`` (a dict or a short name of
    :data:`NORM_ALIASES`), built by mmcv's ``build_norm_layer`` in our
    scope: ``GN`` and ``LN2d`` are ours, any other registered norm (``BN``,
    ``SyncBN``, ``mmpretrain.LN2d``) is found upstream."""
    cfg = resolve_alias(cfg, NORM_ALIASES, 'norm')
    with DefaultScope.overwrite_default_scope('mmpoolformer'):
        try:
            return build_norm_layer(cfg, num_channels)[1]
        except KeyError as error:  # mmcv's word for an unknown type
            raise ValueError(f'cannot build the norm {cfg}: {error}') from None


def build_act(cfg: Union[str, dict]) -> nn.Module:
    """The activation for ``cfg`` (a dict or a short name of
    :data:`ACT_ALIASES`), built through the registries in our scope."""
    cfg = resolve_alias(cfg, ACT_ALIASES, 'activation')
    with DefaultScope.overwrite_default_scope('mmpoolformer'):
        try:
            return build_activation_layer(cfg)
        except KeyError as error:
            raise ValueError(
                f'cannot build the activation {cfg}: {error}') from None
