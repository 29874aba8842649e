"""The MetaFormer block and the convolutions that embed and downsample."""
import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath


class PatchEmbed(nn.Module):
    """A strided convolution: the stem, or the downsampling between stages.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Convolution kernel.
        stride (int): Convolution stride.
        padding (int): Convolution padding.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int, padding: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size=kernel_size,
            stride=stride,
            padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class PointwiseConv2d(nn.Conv2d):
    """A 1x1 convolution of the channel MLP.

    A plain ``nn.Conv2d`` under a class of its own, so that init configs
    select the MLP's convolutions (``layer='PointwiseConv2d'``) apart from
    the patch embeddings (``layer='Conv2d'`` selects both).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size=1)


class ConvMlp(nn.Module):
    """Channel MLP made of two 1x1 convolutions.

    Args:
        dim (int): Input and output channels.
        hidden_dim (int): Hidden channels.
        act (nn.Module): Activation between the convolutions.
        drop (float): Dropout after each convolution. Defaults to 0.
    """

    def __init__(self,
                 dim: int,
                 hidden_dim: int,
                 act: nn.Module,
                 drop: float = 0.) -> None:
        super().__init__()
        self.fc1 = PointwiseConv2d(dim, hidden_dim)
        self.act = act
        self.fc2 = PointwiseConv2d(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.fc1(x)))
        return self.drop(self.fc2(x))


class MetaFormerBlock(nn.Module):
    """``x + s1 * mixer(norm1(x))``, then ``x + s2 * mlp(norm2(x))``.

    ``s1`` and ``s2`` are per-channel layer scales; both residual branches
    pass through drop path. Parameter names follow the official PoolFormer,
    so its weights load without renaming inside a block.

    Args:
        dim (int): Channels.
        token_mixer (nn.Module): Mixes positions.
        norm1 (nn.Module): Norm before the token mixer.
        norm2 (nn.Module): Norm before the MLP.
        act (nn.Module): Activation inside the MLP.
        mlp_ratio (float): Hidden channels of the MLP over ``dim``.
            Defaults to 4.
        drop (float): Dropout inside the MLP. Defaults to 0.
        drop_path (float): Drop path probability. Defaults to 0.
        layer_scale_init_value (float): Initial layer scale.
            Defaults to 1e-5.
    """

    def __init__(self,
                 dim: int,
                 token_mixer: nn.Module,
                 norm1: nn.Module,
                 norm2: nn.Module,
                 act: nn.Module,
                 mlp_ratio: float = 4.,
                 drop: float = 0.,
                 drop_path: float = 0.,
                 layer_scale_init_value: float = 1e-5) -> None:
        super().__init__()
        self.norm1 = norm1
        self.token_mixer = token_mixer
        self.norm2 = norm2
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio), act, drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 \
            else nn.Identity()
        self.layer_scale_1 = nn.Parameter(
            torch.full((dim, ), float(layer_scale_init_value)))
        self.layer_scale_2 = nn.Parameter(
            torch.full((dim, ), float(layer_scale_init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(
            self.layer_scale_1[:, None, None] *
            self.token_mixer(self.norm1(x)))
        return x + self.drop_path(
            self.layer_scale_2[:, None, None] * self.mlp(self.norm2(x)))
