"""The block and the downsampling of the MetaFormer Baselines (PoolFormerV2,
ConvFormer, CAFormer), on channels-last (N, H, W, C) feature maps, with the
official parameter names."""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath

from .scale import Scale


class Downsampling(nn.Module):
    """``post_norm(conv(pre_norm(x)))``: the stem (a 7x7 stride-4
    convolution of the (N, C, H, W) image, then a norm) or the downsampling
    between stages (a norm, then a 3x3 stride-2 convolution). Outputs are
    channels-last.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Convolution kernel.
        stride (int): Convolution stride.
        padding (int): Convolution padding.
        pre_norm (nn.Module, optional): Norm of the channels-last input.
            Defaults to None: the input is an (N, C, H, W) image.
        post_norm (nn.Module, optional): Norm of the output. Defaults to
            None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int,
                 padding: int,
                 pre_norm: Optional[nn.Module] = None,
                 post_norm: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.channels_first_input = pre_norm is None
        self.pre_norm = pre_norm or nn.Identity()
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size=kernel_size,
            stride=stride,
            padding=padding)
        self.post_norm = post_norm or nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.channels_first_input:
            x = self.pre_norm(x).permute(0, 3, 1, 2)
        return self.post_norm(self.conv(x).permute(0, 2, 3, 1))


class LinearMlp(nn.Module):
    """The channel MLP: ``fc2(act(fc1(x)))`` over the last dimension,
    dropout after each linear layer.

    Args:
        dim (int): Input and output channels.
        hidden_dim (int): Hidden channels.
        act (nn.Module): Activation.
        drop (float): Dropout. Defaults to 0.
        bias (bool): Biases in the linear layers. Defaults to False.
    """

    def __init__(self,
                 dim: int,
                 hidden_dim: int,
                 act: nn.Module,
                 drop: float = 0.,
                 bias: bool = False) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim, bias=bias)
        self.act = act
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden_dim, dim, bias=bias)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


def _optional_scale(dim: int, init_value: Optional[float]) -> nn.Module:
    return nn.Identity() if init_value is None else Scale(dim, init_value)


class BaselineBlock(nn.Module):
    """``r1 * x + s1 * mixer(norm1(x))``, then ``r2 * x + s2 * mlp(norm2(x))``.

    ``r`` are the residual scales, ``s`` the layer scales (identities where
    their initial value is None); both branches pass through drop path.

    Args:
        dim (int): Channels.
        token_mixer (nn.Module): Mixes positions of channels-last maps.
        norm1 (nn.Module): Norm before the token mixer.
        norm2 (nn.Module): Norm before the MLP.
        mlp (nn.Module): The channel MLP.
        drop_path (float): Drop path probability. Defaults to 0.
        layer_scale_init_value (float, optional): Initial layer scale.
            Defaults to None: no layer scale.
        res_scale_init_value (float, optional): Initial residual scale.
            Defaults to None: no residual scale.
    """

    def __init__(self,
                 dim: int,
                 token_mixer: nn.Module,
                 norm1: nn.Module,
                 norm2: nn.Module,
                 mlp: nn.Module,
                 drop_path: float = 0.,
                 layer_scale_init_value: Optional[float] = None,
                 res_scale_init_value: Optional[float] = None) -> None:
        super().__init__()
        self.norm1 = norm1
        self.token_mixer = token_mixer
        self.drop_path = DropPath(drop_path) if drop_path > 0 \
            else nn.Identity()
        self.layer_scale1 = _optional_scale(dim, layer_scale_init_value)
        self.res_scale1 = _optional_scale(dim, res_scale_init_value)
        self.norm2 = norm2
        self.mlp = mlp
        self.layer_scale2 = _optional_scale(dim, layer_scale_init_value)
        self.res_scale2 = _optional_scale(dim, res_scale_init_value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.res_scale1(x) + self.layer_scale1(
            self.drop_path(self.token_mixer(self.norm1(x))))
        return self.res_scale2(x) + self.layer_scale2(
            self.drop_path(self.mlp(self.norm2(x))))
