"""The MetaFormer Baselines' activations."""
import torch
import torch.nn as nn

from mmpoolformer.registry import MODELS


@MODELS.register_module()
class StarReLU(nn.Module):
    """``scale * relu(x) ** 2 + bias``, with learnable one-element ``scale``
    and ``bias`` (the Baselines' MLP and separable convolution).

    Args:
        scale_value (float): Initial scale. Defaults to 1.
        bias_value (float): Initial bias. Defaults to 0.
    """

    def __init__(self,
                 scale_value: float = 1.,
                 bias_value: float = 0.) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((1, ), float(scale_value)))
        self.bias = nn.Parameter(torch.full((1, ), float(bias_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.bias, self.scale, torch.relu(x).square())


@MODELS.register_module()
class SquaredReLU(nn.Module):
    """``relu(x) ** 2`` (`Primer <https://arxiv.org/abs/2109.08668>`_), the
    activation of ConvFormer's and CAFormer's classifier MLP."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x).square()
