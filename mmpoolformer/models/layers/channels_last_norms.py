"""Norms of channels-last (N, H, W, C) feature maps, as the MetaFormer
Baselines use them."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpoolformer.registry import MODELS


@MODELS.register_module()
class PerSampleNorm(nn.Module):
    """Normalises each sample of a channels-last (N, H, W, C) map over all
    its positions and channels, then scales (and shifts) each channel: the
    one-group GroupNorm of PoolFormerV2 (the official ``LayerNormGeneral``
    over dims (1, 2, 3), timm's ``GroupNorm1NoBias``).

    Args:
        num_channels (int): Channels.
        eps (float): Added to the variance. Defaults to 1e-6.
        bias (bool): Learn a per-channel shift too. Defaults to False.
    """

    def __init__(self,
                 num_channels: int,
                 eps: float = 1e-6,
                 bias: bool = False) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x, x.shape[1:], eps=self.eps)
        if self.bias is None:
            return x * self.weight
        return torch.addcmul(self.bias, x, self.weight)
