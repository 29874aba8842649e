"""A learnable per-channel scale of channels-last tensors."""
import torch
import torch.nn as nn


class Scale(nn.Module):
    """``x * scale`` over the last (channel) dimension; the MetaFormer
    Baselines' layer scale and residual scale (parameter ``scale``).

    Args:
        dim (int): Channels.
        init_value (float): Initial value of every entry. Defaults to 1.
    """

    def __init__(self, dim: int, init_value: float = 1.) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((dim, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale
