"""Token mixers: the part of a MetaFormer block that mixes spatial positions.

Each mixer maps a map to one of the same shape, in either layout a backbone
runs its blocks on (``nhwc``, which the backbone passes): PoolFormer's
(N, C, H, W) maps or the MetaFormer Baselines' channels-last (N, H, W, C)
maps, the official code's layout, in which every linear layer acts on the
last dimension and convolutions see a channels-last (N, C, H, W) view. The
parameters are the same in both.
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
    """A map of the caller's layout (``nhwc`` or not) as an (N, H, W, C)
    view."""
    return x if nhwc else x.permute(0, 2, 3, 1)


def _from_nhwc(x: torch.Tensor, nhwc: bool) -> torch.Tensor:
    """An (N, H, W, C) map back in the caller's layout, as a view."""
    return x if nhwc else x.permute(0, 3, 1, 2)


@MODELS.register_module()
class Pooling(nn.Module):
    """PoolFormer's mixer: average pooling (padding not counted) minus the
    input.

    Subtracting the input makes the block's residual branch carry only the
    change that pooling brings.

    Args:
        pool_size (int): Pooling window, odd so that it is centred on each
            position. Defaults to 3.
        nhwc (bool): The maps are channels-last (N, H, W, C), else
            (N, C, H, W). Defaults to False.
    """

    def __init__(self, pool_size: int = 3, nhwc: bool = False) -> None:
        super().__init__()
        pool_size = check_odd_size('pool_size', pool_size)
        self.nhwc = nhwc
        self.pool = nn.AvgPool2d(
            pool_size,
            stride=1,
            padding=pool_size // 2,
            count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.nhwc:
            return self.pool(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1) - x
        return self.pool(x) - x


@MODELS.register_module()
class Attention(nn.Module):
    """Multi-head self-attention over all positions of a map of any size;
    ``qkv`` without bias (the official PoolFormer hybrids' and CAFormer's
    mixer).

    Args:
        dim (int): Channels.
        head_dim (int): Channels per head; it must divide ``dim`` unless
            ``num_heads`` is given. Defaults to 32.
        num_heads (int, optional): Heads, of ``head_dim`` channels each
            whatever ``dim`` is. Defaults to None: ``dim // head_dim``.
        proj_bias (bool, optional): A bias in ``proj``. Defaults to None:
            one on (N, C, H, W) maps, as the PoolFormer hybrids have, none on
            channels-last maps, as CAFormer has.
        nhwc (bool): The maps are channels-last (N, H, W, C), else
            (N, C, H, W). Defaults to False.
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
    (the official MetaFormer's ``SpatialFc``; parameter ``fc.weight``).

    Its weight has one row and column per position, so the feature map must
    have exactly ``num_tokens`` positions.

    Args:
        num_tokens (int): H * W of the feature map it is built for.
        nhwc (bool): The maps are channels-last (N, H, W, C), else
            (N, C, H, W). Defaults to False.
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
    """ConvFormer's mixer: an inverted separable convolution (MobileNetV2's),
    pointwise ``pwconv1`` to ``expansion_ratio`` times the channels, the
    activation ``act1``, a depthwise ``dwconv``, pointwise ``pwconv2`` back;
    no biases. The pointwise layers are linear, as the official code has
    them.

    Args:
        dim (int): Channels.
        expansion_ratio (float): Hidden channels per channel. Defaults to 2.
        kernel_size (int): The depthwise kernel, odd. Defaults to 7.
        act_cfg (str | dict): The activation after ``pwconv1``, built through
            the registries. Defaults to ``dict(type='StarReLU')``.
        nhwc (bool): The maps are channels-last (N, H, W, C), else
            (N, C, H, W). Defaults to False.
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
        self.dwconv = nn.Conv2d(
            hidden,
            hidden,
            kernel_size,
            padding=kernel_size // 2,
            groups=hidden,
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
    """Builds a token mixer registered in our scope.

    Each entry of ``context`` (the stage's ``dim``, ``num_tokens``, the
    backbone's ``pool_size`` and the layout of its blocks, ``nhwc``) is
    passed to the mixers whose constructors take it, unless ``cfg`` sets it;
    the layout is the backbone's, which ``cfg`` may not set.

    Args:
        cfg (str | dict): E.g. ``dict(type='Pooling', pool_size=3)``,
            ``dict(type='Attention', head_dim=32)`` or a short name of
            :data:`TOKEN_MIXER_ALIASES`.
        **context: Keyword arguments for the mixers that take them.
    """
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
