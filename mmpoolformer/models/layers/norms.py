"""The norms of MetaFormer stages and the builders of norms and
activations from configs or short names."""
from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.registry import DefaultScope

from mmpoolformer.registry import MODELS


def _explicit_normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Per-sample normalisation in elementary ops for ONNX, which runtimes
    that mishandle one-group InstanceNormalization (TensorRT) get right."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dim=(1, 2, 3), keepdim=True)
    return centered / torch.sqrt(var + eps)


def normalize_per_sample(x: torch.Tensor, eps: float) -> torch.Tensor:
    """One-group GroupNorm without affine as a LayerNorm of each sample in
    memory order (CPU's ``group_norm`` is twice as slow channels-last)."""
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
    """``nn.GroupNorm`` as ``GN`` in our scope, channels first as mmcv
    passes them, ``num_groups`` 1 by default (PoolFormer's). With one group,
    a channels-last map, or any map once ``fuse()`` has folded the weights
    away, takes :func:`normalize_per_sample`."""

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
    """LayerNorm over the channels of (N, C, H, W) maps (the official
    ``LayerNormChannel``, mmpretrain's ``LN2d``)."""

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__(num_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


@MODELS.register_module()
class PerSampleNorm(nn.Module):
    """PoolFormerV2's one-group norm of (N, H, W, C) maps: each sample
    normalised as a whole, then a per-channel weight (and ``bias``) (the
    official ``LayerNormGeneral`` over (1, 2, 3), timm's
    ``GroupNorm1NoBias``)."""

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


def resolve_alias(cfg: Union[str, dict], aliases: dict, what: str) -> dict:
    """A copy of ``cfg`` (a dict with a ``type``) or of the dict its short
    name stands for in ``aliases``; ``what`` names it in messages."""
    if isinstance(cfg, str):
        if cfg not in aliases:
            raise ValueError(f'unknown {what} {cfg!r}: give a config dict '
                             f'such as {next(iter(aliases.values()))} or one '
                             f'of the short names {sorted(aliases)}')
        return dict(aliases[cfg])
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'the {what} must be a dict with a "type" or one '
                        f'of {sorted(aliases)}, got {cfg!r}')
    return dict(cfg)


def build_norm(cfg: Union[str, dict], num_channels: int) -> nn.Module:
    """The norm for ``cfg`` (a dict or a short name of
    :data:`NORM_ALIASES`), built by mmcv in our scope: ``GN`` and ``LN2d``
    are ours, other norms (``SyncBN``, ``mmpretrain.LN2d``) upstream's."""
    cfg = resolve_alias(cfg, NORM_ALIASES, 'norm')
    with DefaultScope.overwrite_default_scope('mmpoolformer'):
        try:
            return build_norm_layer(cfg, num_channels)[1]
        except KeyError as error:  # mmcv's word for an unknown type
            raise ValueError(f'cannot build the norm {cfg}: {error}') from None


def build_act(cfg: Union[str, dict]) -> nn.Module:
    """The activation for ``cfg`` (a dict or a short name of
    :data:`ACT_ALIASES`), built in our scope."""
    cfg = resolve_alias(cfg, ACT_ALIASES, 'activation')
    with DefaultScope.overwrite_default_scope('mmpoolformer'):
        try:
            return build_activation_layer(cfg)
        except KeyError as error:
            raise ValueError(
                f'cannot build the activation {cfg}: {error}') from None
