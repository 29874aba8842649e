"""Fusing a MetaFormer Baselines block (PoolFormerV2, ConvFormer, CAFormer)
for inference: what folds exactly goes into the next linear layer, where
that saves work on CPU.

- The MLP's StarReLU scale and bias fold into ``fc2``:
  ``W (s * relu(h)^2 + b) = (s * W) relu(h)^2 + b * W.sum(1)``. What is
  left, ``relu(h)^2``, and the separable convolution's StarReLU ``act1``
  (whose bias would meet the depthwise convolution's zero padding, so it
  stays) then run in place without autograd: the hidden tensors are the
  block's widest, and a fresh one costs page faults on CPU (relu and square
  of a 56x56x256 map took 574 us into a new tensor, 166 us in place).
- PerSampleNorm's (PoolFormerV2's) per-channel weight and bias fold into a
  linear layer after it: ``W (g * y + b) = (W * g) y + W b``, ``norm2`` into
  the MLP's ``fc1`` and ``norm1`` into a separable convolution's
  ``pwconv1`` or an attention's ``qkv`` (not into the pooling mixer, which
  has none).

LayerNorm's weights are not folded: PyTorch's CPU kernel normalises about
twice as slowly without them (474 against 252 us on a 56x56x64 map), which
costs more than the multiplication saves.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .baseline_block import BaselineBlock, LinearMlp
from .channels_last_mixers import ChannelsLastAttention, SepConv
from .channels_last_norms import PerSampleNorm
from .squared_relu import SquaredReLU
from .star_relu import StarReLU

# The linear layer right after ``norm1`` in each mixer that has one.
MIXER_INPUT_LAYER = {SepConv: 'pwconv1', ChannelsLastAttention: 'qkv'}


def _in_place_allowed() -> bool:
    """Whether an activation may write over its input: not under autograd,
    the ONNX exporter or the compiler, which get plain ops."""
    return not (torch.is_grad_enabled() or torch.onnx.is_in_onnx_export()
                or torch.compiler.is_compiling())


class InPlaceSquaredReLU(SquaredReLU):
    """:class:`SquaredReLU` that, without autograd, writes over its input:
    for the MLP's hidden tensor, which nothing else holds."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _in_place_allowed():
            return super().forward(x)
        return torch.relu_(x).square_()


class InPlaceStarReLU(StarReLU):
    """:class:`StarReLU` that, without autograd, writes over its input: for
    the separable convolution's hidden tensor, which nothing else holds."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _in_place_allowed():
            return super().forward(x)
        x = torch.relu_(x).square_()
        return torch.addcmul(self.bias, self.scale, x, out=x)


class PerSampleNormalize(nn.Module):
    """:class:`PerSampleNorm` without its weight and bias: normalises each
    sample of a channels-last map over all its positions and channels.

    Args:
        eps (float): Added to the variance.
    """

    def __init__(self, eps: float) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, x.shape[1:], eps=self.eps)


def _linear(weight: torch.Tensor,
            bias: Optional[torch.Tensor]) -> nn.Linear:
    """A linear layer with these weight and bias (None for no bias)."""
    layer = nn.Linear(
        weight.shape[1], weight.shape[0], bias=bias is not None,
        device=weight.device, dtype=weight.dtype)
    layer.weight.copy_(weight)
    if bias is not None:
        layer.bias.copy_(bias)
    return layer


def _with_bias(bias: Optional[torch.Tensor],
               added: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    if added is None:
        return bias
    return added if bias is None else bias + added


def _fold_norm(norm: nn.Module,
               linear: nn.Linear) -> Optional[Tuple[nn.Module, nn.Linear]]:
    """``(norm without affine, linear with it)``, or None where ``norm`` is
    no :class:`PerSampleNorm`."""
    if type(norm) is not PerSampleNorm:
        return None
    norm_bias = None if norm.bias is None else linear.weight @ norm.bias
    return PerSampleNormalize(norm.eps), _linear(
        linear.weight * norm.weight, _with_bias(linear.bias, norm_bias))


def _fold_star_relu(act: StarReLU, linear: nn.Linear) -> nn.Linear:
    """``linear`` after ``act``'s scale and bias."""
    return _linear(linear.weight * act.scale,
                   _with_bias(linear.bias, act.bias * linear.weight.sum(1)))


def _in_place_star_relu(act: StarReLU) -> InPlaceStarReLU:
    """``act``'s parameters in an :class:`InPlaceStarReLU`."""
    fused = InPlaceStarReLU().to(act.scale)
    fused.load_state_dict(act.state_dict())
    return fused


@torch.no_grad()
def fuse_baseline_block(block: BaselineBlock) -> None:
    """Fuses ``block`` (in eval mode) in place, as the module docstring
    says; its outputs stay equal to float rounding."""
    mixer = block.token_mixer
    name = MIXER_INPUT_LAYER.get(type(mixer))
    if name is not None:
        fold = _fold_norm(block.norm1, getattr(mixer, name))
        if fold is not None:
            block.norm1 = fold[0]
            setattr(mixer, name, fold[1])
    if type(mixer) is SepConv and type(mixer.act1) is StarReLU:
        mixer.act1 = _in_place_star_relu(mixer.act1)
    mlp = block.mlp
    if type(mlp) is LinearMlp:
        fold = _fold_norm(block.norm2, mlp.fc1)
        if fold is not None:
            block.norm2, mlp.fc1 = fold
        if type(mlp.act) is StarReLU:
            mlp.fc2 = _fold_star_relu(mlp.act, mlp.fc2)
            mlp.act = InPlaceSquaredReLU()
