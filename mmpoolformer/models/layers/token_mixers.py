"""Token mixers: the part of a MetaFormer block that mixes spatial positions.

Each mixer maps a (N, C, H, W) tensor to one of the same shape.
"""
import inspect
from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpoolformer.registry import MODELS
from ..validation import check_int, check_odd_size
from .aliases import resolve_alias


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


MODELS.register_module('Identity', module=nn.Identity)

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
