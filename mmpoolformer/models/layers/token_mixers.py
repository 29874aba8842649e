"""Token mixers: the part of a MetaFormer block that mixes spatial positions.

Each mixer maps a map to one of the same shape: PoolFormer's mixers take
(N, C, H, W) maps; the MetaFormer Baselines' (``SepConv`` and the
``ChannelsLast*`` mixers) take channels-last (N, H, W, C) maps, the official
code's layout, in which every linear layer acts on the last dimension and
convolutions see a channels-last (N, C, H, W) view.
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


@MODELS.register_module()
class Pooling(nn.Module):
    """PoolFormer's mixer: average pooling minus the input.

    Subtracting the input makes the block's residual branch carry only the
    change that pooling brings.

    Args:
        pool_size (int): Pooling window, odd so that it is centred on each
            position. Defaults to 3.
    """

    def __init__(self, pool_size: int = 3) -> None:
        super().__init__()
        pool_size = check_odd_size('pool_size', pool_size)
        self.pool = nn.AvgPool2d(
            pool_size,
            stride=1,
            padding=pool_size // 2,
            count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x) - x


@MODELS.register_module()
class Attention(nn.Module):
    """Multi-head self-attention over all positions.

    Args:
        dim (int): Number of channels.
        head_dim (int): Channels per head; it must divide ``dim``.
            Defaults to 32.
    """

    def __init__(self, dim: int, head_dim: int = 32) -> None:
        super().__init__()
        dim = check_int('dim', dim, minimum=1)
        head_dim = check_int('head_dim', head_dim, minimum=1)
        if dim % head_dim:
            raise ValueError(
                f'head_dim must divide the attention\'s {dim} channels, got '
                f'{head_dim}')
        self.num_heads = dim // head_dim
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        q, k, v = self.qkv(tokens).reshape(n, h * w, 3, self.num_heads,
                                           -1).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        out = self.proj(out.transpose(1, 2).reshape(n, h * w, c))
        return out.transpose(1, 2).reshape(n, c, h, w)


@MODELS.register_module()
class SpatialMLP(nn.Module):
    """A linear layer across positions, shared by all channels, without bias
    (the official MetaFormer's ``SpatialFc``; parameter ``fc.weight``).

    Its weight has one row and column per position, so the feature map must
    have exactly ``num_tokens`` positions.

    Args:
        num_tokens (int): H * W of the feature map it is built for.
    """

    def __init__(self, num_tokens: int) -> None:
        super().__init__()
        num_tokens = check_int('num_tokens', num_tokens, minimum=1)
        self.num_tokens = num_tokens
        self.fc = nn.Linear(num_tokens, num_tokens, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        if h * w != self.num_tokens:
            raise ValueError(
                f'the spatial MLP was built for {self.num_tokens} positions '
                f'but got a {h}x{w} feature map; set the backbone\'s '
                f'img_size to the input size')
        return self.fc(x.reshape(n, c, h * w)).reshape(n, c, h, w)


def _channels_first(x: torch.Tensor) -> torch.Tensor:
    """A (N, H, W, C) map as a (N, C, H, W) view (channels-last strides)."""
    return x.permute(0, 3, 1, 2)


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    """A (N, C, H, W) map as a (N, H, W, C) view."""
    return x.permute(0, 2, 3, 1)


@MODELS.register_module()
class SepConv(nn.Module):
    """ConvFormer's mixer: an inverted separable convolution (MobileNetV2's),
    pointwise ``pwconv1`` to ``expansion_ratio`` times the channels, the
    activation ``act1``, a depthwise ``dwconv``, pointwise ``pwconv2`` back;
    no biases.

    Args:
        dim (int): Channels.
        expansion_ratio (float): Hidden channels per channel. Defaults to 2.
        kernel_size (int): The depthwise kernel, odd. Defaults to 7.
        act_cfg (str | dict): The activation after ``pwconv1``, built through
            the registries. Defaults to ``dict(type='StarReLU')``.
    """

    def __init__(self,
                 dim: int,
                 expansion_ratio: float = 2.,
                 kernel_size: int = 7,
                 act_cfg: Union[str, Dict] = dict(type='StarReLU')) -> None:
        super().__init__()
        dim = check_int('dim', dim, minimum=1)
        check_number('expansion_ratio', expansion_ratio, low=0)
        kernel_size = check_odd_size('kernel_size', kernel_size)
        hidden = int(expansion_ratio * dim)
        if hidden < 1:
            raise ValueError('expansion_ratio must leave SepConv at least one '
                             f'hidden channel, got {expansion_ratio!r}')
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
        x = self.act1(self.pwconv1(x))
        x = _channels_last(self.dwconv(_channels_first(x)))
        return self.pwconv2(self.act2(x))


@MODELS.register_module()
class ChannelsLastPooling(Pooling):
    """PoolFormer's mixer (average pooling minus the input, padding not
    counted) on a channels-last map.

    Args:
        pool_size (int): Pooling window, odd. Defaults to 3.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _channels_last(self.pool(_channels_first(x))) - x


@MODELS.register_module()
class ChannelsLastAttention(nn.Module):
    """Multi-head self-attention over all positions of a channels-last map,
    of any size; ``qkv`` and ``proj`` without biases (CAFormer's mixer).

    Args:
        dim (int): Channels.
        head_dim (int): Channels per head. Defaults to 32.
        num_heads (int, optional): Heads. Defaults to None:
            ``max(dim // head_dim, 1)``.
    """

    def __init__(self,
                 dim: int,
                 head_dim: int = 32,
                 num_heads: Optional[int] = None) -> None:
        super().__init__()
        dim = check_int('dim', dim, minimum=1)
        self.head_dim = check_int('head_dim', head_dim, minimum=1)
        self.num_heads = max(dim // self.head_dim, 1) if num_heads is None \
            else check_int('num_heads', num_heads, minimum=1)
        inner = self.num_heads * self.head_dim
        self.qkv = nn.Linear(dim, 3 * inner, bias=False)
        self.proj = nn.Linear(inner, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h, w, _ = x.shape
        q, k, v = self.qkv(x).reshape(n, h * w, 3, self.num_heads,
                                      self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(n, h, w, -1))


MODELS.register_module('Identity', module=nn.Identity)

# Short names for the channels-last mixers of the MetaFormer Baselines.
CHANNELS_LAST_MIXER_ALIASES = {
    'pooling': dict(type='ChannelsLastPooling'),
    'sepconv': dict(type='SepConv'),
    'attention': dict(type='ChannelsLastAttention'),
    'identity': dict(type='Identity'),
}


# Short names for the mixers of the paper.
TOKEN_MIXER_ALIASES = {
    'pooling': dict(type='Pooling'),
    'attention': dict(type='Attention'),
    'spatial_mlp': dict(type='SpatialMLP'),
    'identity': dict(type='Identity'),
}


def build_token_mixer(cfg: Union[str, dict],
                      aliases: dict = TOKEN_MIXER_ALIASES,
                      **context) -> nn.Module:
    """Builds a token mixer registered in our scope.

    Each entry of ``context`` (the stage's ``dim``, ``num_tokens``, the
    backbone's ``pool_size``) is passed to the mixers whose constructors
    take it, unless ``cfg`` sets it.

    Args:
        cfg (str | dict): E.g. ``dict(type='Pooling', pool_size=3)``,
            ``dict(type='Attention', head_dim=32)`` or a short name of
            ``aliases``.
        aliases (dict): Short names to mixer configs. Defaults to
            :data:`TOKEN_MIXER_ALIASES`, the (N, C, H, W) mixers.
        **context: Keyword arguments for the mixers that take them.
    """
    cfg = resolve_alias(cfg, aliases, 'token mixer')
    mixer_type = cfg.pop('type')
    mixer_cls = MODELS.get(mixer_type)
    if mixer_cls is None:
        raise ValueError(f'unknown token mixer type {mixer_type!r}: '
                         f'registered in mmpoolformer are '
                         f'{sorted(aliases)} as '
                         f'{[a["type"] for a in aliases.values()]}')
    takes = inspect.signature(mixer_cls).parameters
    for name, value in context.items():
        if name in takes:
            cfg.setdefault(name, value)
    return mixer_cls(**cfg)
