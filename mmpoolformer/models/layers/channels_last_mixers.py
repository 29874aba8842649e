"""Token mixers of the MetaFormer Baselines, on channels-last (N, H, W, C)
feature maps: the official code's layout, in which every linear layer acts
on the last dimension and convolutions see a channels-last (N, C, H, W)
view."""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpoolformer.registry import MODELS
from ..validation import check_int, check_number, check_odd_size
from .norms import build_act
from .token_mixers import Pooling


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


# Short names for the channels-last mixers of the MetaFormer Baselines.
CHANNELS_LAST_MIXER_ALIASES = {
    'pooling': dict(type='ChannelsLastPooling'),
    'sepconv': dict(type='SepConv'),
    'attention': dict(type='ChannelsLastAttention'),
    'identity': dict(type='Identity'),
}
