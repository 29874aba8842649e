"""Token mixers: the part of a MetaFormer block that mixes spatial positions.

Each mixer maps a (N, C, H, W) tensor to one of the same shape.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Pooling(nn.Module):
    """PoolFormer's mixer: average pooling minus the input.

    Subtracting the input makes the block's residual branch carry only the
    change that pooling brings.

    Args:
        pool_size (int): Pooling window. Defaults to 3.
    """

    def __init__(self, pool_size: int = 3) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(
            pool_size,
            stride=1,
            padding=pool_size // 2,
            count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x) - x


class Attention(nn.Module):
    """Multi-head self-attention over all positions.

    Args:
        dim (int): Number of channels.
        head_dim (int): Channels per head. Defaults to 32.
    """

    def __init__(self, dim: int, head_dim: int = 32) -> None:
        super().__init__()
        if dim % head_dim:
            raise ValueError(
                f'attention needs channels ({dim}) divisible by its head '
                f'size ({head_dim})')
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


class SpatialMLP(nn.Module):
    """A linear layer across positions, shared by all channels (ResMLP-style).

    Its weight has one row and column per position, so the feature map must
    have exactly ``num_tokens`` positions.

    Args:
        num_tokens (int): H * W of the feature map it is built for.
    """

    def __init__(self, num_tokens: int) -> None:
        super().__init__()
        self.num_tokens = num_tokens
        self.fc = nn.Linear(num_tokens, num_tokens)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        if h * w != self.num_tokens:
            raise ValueError(
                f'the spatial MLP was built for {self.num_tokens} positions '
                f'but got a {h}x{w} feature map; set the backbone\'s '
                f'img_size to the input size')
        return self.fc(x.reshape(n, c, h * w)).reshape(n, c, h, w)


TOKEN_MIXERS = ('pooling', 'attention', 'spatial_mlp', 'identity')


def build_token_mixer(name: str, dim: int, pool_size: int,
                      num_tokens: int) -> nn.Module:
    """Builds the token mixer called ``name``.

    Args:
        name (str): One of :data:`TOKEN_MIXERS`.
        dim (int): Channels of the stage.
        pool_size (int): Window of the pooling mixer.
        num_tokens (int): Positions of the stage, for the spatial MLP.
    """
    if name == 'pooling':
        return Pooling(pool_size)
    if name == 'attention':
        return Attention(dim)
    if name == 'spatial_mlp':
        return SpatialMLP(num_tokens)
    if name == 'identity':
        return nn.Identity()
    raise ValueError(
        f'unknown token mixer {name!r}: choose one of {list(TOKEN_MIXERS)}')
