"""Token mixers, which mix positions: each keeps the shape of its input,
(N, H, W, C) maps with ``nhwc`` (the backbone's layout, given by it), else
(N, C, H, W), with the same parameters in both."""
import inspect
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpoolformer.registry import MODELS
from ..validation import check_int, check_number, check_odd_size
from .norms import build_act, resolve_alias


def _as_nhwc(x: torch.Tensor, nhwc: bool) -> torch.Tensor:
    """A map of the caller's layout as an (N, H, W, C) view."""
    return x if nhwc else x.permute(0, 2, 3, 1)


def _from_nhwc(x: torch.Tensor, nhwc: bool) -> torch.Tensor:
    """The inverse of :func:`_as_nhwc`."""
    return x if nhwc else x.permute(0, 3, 1, 2)


@MODELS.register_module()
class Pooling(nn.Module):
    """PoolFormer's mixer: average pooling over an odd ``pool_size``
    window (padding not counted) minus the input."""

    def __init__(self, pool_size: int = 3, nhwc: bool = False) -> None:
        super().__init__()
        pool_size = check_odd_size('pool_size', pool_size)
        self.nhwc = nhwc
        self.pool = nn.AvgPool2d(
            pool_size, 1, pool_size // 2, count_include_pad=False)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """The average of each window, in the layout of ``x``."""
        if self.nhwc:
            return self.pool(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return self.pool(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pooled(x) - x


@MODELS.register_module()
class Attention(nn.Module):
    """Multi-head self-attention over all positions of a map of any size,
    ``qkv`` without bias: the hybrids' and CAFormer's mixer.

    Args:
        dim (int): Channels.
        head_dim (int): Channels per head, dividing ``dim`` unless
            ``num_heads`` is given. Defaults to 32.
        num_heads (int, optional): Heads of ``head_dim`` channels each,
            whatever ``dim`` is. Defaults to None: ``dim // head_dim``.
        proj_bias (bool, optional): A bias in ``proj``. Defaults to None:
            one on (N, C, H, W) maps (the hybrids), none on (N, H, W, C)
            maps (CAFormer).
        nhwc (bool): (N, H, W, C) maps. Defaults to False.
    """

    def __init__(self,
                 dim: int,
                 head_dim: int = 32,
                 num_heads: Optional[int] = None,
                 proj_bias: Optional[bool] = None,
                 nhwc: bool = False) -> None:
        super().__init__()
        dim = check_int('dim', dim, minimum=1)
        self.head_dim = check_int('head_dim', head_dim, minimum=1)
        if num_heads is None and dim % head_dim:
            raise ValueError(
                f'head_dim must divide the attention\'s {dim} channels '
                f'(or set num_heads), got {head_dim}')
        self.num_heads = dim // head_dim if num_heads is None \
            else check_int('num_heads', num_heads, minimum=1)
        self.nhwc = nhwc
        inner = self.num_heads * self.head_dim
        self.qkv = nn.Linear(dim, 3 * inner, bias=False)
        self.proj = nn.Linear(
            inner, dim, bias=not nhwc if proj_bias is None else proj_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _as_nhwc(x, self.nhwc)
        n, h, w, _ = x.shape
        q, k, v = self.qkv(x).reshape(n, h * w, 3, self.num_heads,
                                      self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        out = self.proj(out.transpose(1, 2).reshape(n, h, w, -1))
        return _from_nhwc(out, self.nhwc)


@MODELS.register_module()
class SpatialMLP(nn.Module):
    """A linear layer across the ``num_tokens`` positions (H * W) of the
    maps it takes, shared by the channels, without bias (the official
    ``SpatialFc``)."""

    def __init__(self, num_tokens: int, nhwc: bool = False) -> None:
        super().__init__()
        num_tokens = check_int('num_tokens', num_tokens, minimum=1)
        self.num_tokens = num_tokens
        self.nhwc = nhwc
        self.fc = nn.Linear(num_tokens, num_tokens, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2) if self.nhwc else x
        n, c, h, w = x.shape
        if h * w != self.num_tokens:
            raise ValueError(
                f'the spatial MLP was built for {self.num_tokens} positions '
                f'but got a {h}x{w} feature map; set the backbone\'s '
                f'img_size to the input size')
        out = self.fc(x.reshape(n, c, h * w)).reshape(n, c, h, w)
        return out.permute(0, 2, 3, 1) if self.nhwc else out


@MODELS.register_module()
class SepConv(nn.Module):
    """ConvFormer's mixer, MobileNetV2's inverted separable convolution
    without biases: linear ``pwconv1`` to ``expansion_ratio`` (2) times the
    channels, ``act1`` (``act_cfg``, StarReLU), depthwise ``dwconv`` of an
    odd ``kernel_size`` (7), linear ``pwconv2`` back."""

    def __init__(self,
                 dim: int,
                 expansion_ratio: float = 2.,
                 kernel_size: int = 7,
                 act_cfg: Union[str, Dict] = dict(type='StarReLU'),
                 nhwc: bool = False) -> None:
        super().__init__()
        dim = check_int('dim', dim, minimum=1)
        check_number('expansion_ratio', expansion_ratio, low=0)
        kernel_size = check_odd_size('kernel_size', kernel_size)
        hidden = int(expansion_ratio * dim)
        if hidden < 1:
            raise ValueError('expansion_ratio must leave SepConv at least one '
                             f'hidden channel, got {expansion_ratio!r}')
        self.nhwc = nhwc
        self.pwconv1 = nn.Linear(dim, hidden, bias=False)
        self.act1 = build_act(act_cfg)
        self.dwconv = nn.Conv2d(hidden, hidden, kernel_size,
                                padding=kernel_size // 2, groups=hidden,
                                bias=False)
        self.act2 = nn.Identity()
        self.pwconv2 = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.pwconv1(_as_nhwc(x, self.nhwc)))
        x = self.dwconv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return _from_nhwc(self.pwconv2(self.act2(x)), self.nhwc)


MODELS.register_module('Identity', module=nn.Identity)

# Short names for the mixers.
TOKEN_MIXER_ALIASES = {
    'pooling': dict(type='Pooling'),
    'attention': dict(type='Attention'),
    'spatial_mlp': dict(type='SpatialMLP'),
    'sepconv': dict(type='SepConv'),
    'identity': dict(type='Identity'),
}


def build_token_mixer(cfg: Union[str, dict], **context) -> nn.Module:
    """The token mixer for ``cfg`` (a dict or a short name of
    :data:`TOKEN_MIXER_ALIASES`) in our scope; each entry of ``context``
    (``dim``, ``num_tokens``, ``pool_size``, ``nhwc``) goes to mixers that
    take it unless ``cfg`` sets it (``nhwc`` it may not)."""
    cfg = resolve_alias(cfg, TOKEN_MIXER_ALIASES, 'token mixer')
    mixer_type = cfg.pop('type')
    mixer_cls = MODELS.get(mixer_type)
    if mixer_cls is None:
        types = [a['type'] for a in TOKEN_MIXER_ALIASES.values()]
        raise ValueError(f'unknown token mixer type {mixer_type!r}: '
                         f'registered in mmpoolformer are '
                         f'{sorted(TOKEN_MIXER_ALIASES)} as {types}')
    if 'nhwc' in cfg:
        raise ValueError('a token mixer config does not set nhwc: the '
                         'backbone gives its blocks\' layout')
    takes = inspect.signature(mixer_cls).parameters
    for name, value in context.items():
        if name in takes:
            cfg.setdefault(name, value)
    return mixer_cls(**cfg)
