"""Token mixers: the part of a MetaFormer block that mixes positions.

Each keeps the shape of its input, in the layout the backbone runs its
blocks on and passes as ``nhwc``: PoolFormer's (N, C, H, W) maps or the
Baselines' (N, H, W, C) ones, with the same parameters in both.
"""
import inspect
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpoolformer.registry import MODELS
from ..validation import check_int, check_number, check_odd_size
from .aliases import resolve_alias
from .norms import build_act


def _as_nhwc(x: torch.Tensor, nhwc: bool) -> torch.Tensor:
    """A map of the caller's layout as an (N, H, W, C) view."""
    return x if nhwc else x.permute(0, 2, 3, 1)


def _from_nhwc(x: torch.Tensor, nhwc: bool) -> torch.Tensor:
    """An (N, H, W, C) map as a view in the caller's layout."""
    return x if nhwc else x.permute(0, 3, 1, 2)


@MODELS.register_module()
class Pooling(nn.Module):
    """PoolFormer's mixer: average pooling (padding not counted) minus the
    input, so that the residual branch carries only what pooling changes.

    Args:
        pool_size (int): Pooling window, odd. Defaults to 3.
        nhwc (bool): The maps are (N, H, W, C), else (N, C, H, W).
            Defaults to False.
    """

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
    ``qkv`` without bias: the PoolFormer hybrids' and CAFormer's mixer.

    Args:
        dim (int): Channels.
        head_dim (int): Channels per head; it must divide ``dim`` unless
            ``num_heads`` is given. Defaults to 32.
        num_heads (int, optional): Heads, of ``head_dim`` channels each
            whatever ``dim`` is. Defaults to None: ``dim // head_dim``.
        proj_bias (bool, optional): A bias in ``proj``. Defaults to None:
            one on (N, C, H, W) maps (the hybrids), none on (N, H, W, C)
            maps (CAFormer).
        nhwc (bool): The maps are (N, H, W, C), else (N, C, H, W).
            Defaults to False.
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
    """A linear layer across positions, shared by all channels, without bias
    (the official MetaFormer's ``SpatialFc``): it takes only maps of
    ``num_tokens`` positions.

    Args:
        num_tokens (int): H * W of the feature map it is built for.
        nhwc (bool): The maps are (N, H, W, C), else (N, C, H, W).
            Defaults to False.
    """

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
    without biases: linear ``pwconv1`` to ``expansion_ratio`` times the
    channels, ``act1``, depthwise ``dwconv``, linear ``pwconv2`` back.

    Args:
        dim (int): Channels.
        expansion_ratio (float): Hidden channels per channel. Defaults to 2.
        kernel_size (int): The depthwise kernel, odd. Defaults to 7.
        act_cfg (str | dict): The activation after ``pwconv1``. Defaults to
            ``dict(type='StarReLU')``.
        nhwc (bool): The maps are (N, H, W, C), else (N, C, H, W).
            Defaults to False.
    """

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
    """Builds a token mixer registered in our scope from ``cfg`` (a dict or
    a short name of :data:`TOKEN_MIXER_ALIASES`). Each entry of ``context``
    (``dim``, ``num_tokens``, ``pool_size``, ``nhwc``) goes to the mixers
    that take it unless ``cfg`` sets it; ``nhwc``, the backbone's layout,
    ``cfg`` may not set."""
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
