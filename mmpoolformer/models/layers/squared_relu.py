"""SquaredReLU, the activation of the MetaFormer Baselines' MLP head."""
import torch
import torch.nn as nn

from mmpoolformer.registry import MODELS


@MODELS.register_module()
class SquaredReLU(nn.Module):
    """``relu(x) ** 2`` (`Primer <https://arxiv.org/abs/2109.08668>`_): the
    activation of ConvFormer's and CAFormer's classifier MLP; no
    parameters."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x).square()
