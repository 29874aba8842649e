"""Fusing a MetaFormer block for inference: what folds exactly goes into
the layer next to it, where that saves work on CPU.

- A pooling block of (N, C, H, W) maps with one-group GroupNorms (every
  default PoolFormer block) becomes a :class:`FusedPoolFormerBlock`.
- Layer scales fold into the layer before them, ``s (W x + b) = (s W) x +
  s b``: ``s2`` into the MLP's ``fc2``, ``s1`` into the mixer's ``proj`` or
  ``pwconv2``.
- The MLP's StarReLU scale and bias fold into ``fc2``, ``W (s r + b) =
  (s W) r + b W.sum(1)``. The rest, ``r = relu(h)^2``, and the separable
  convolution's StarReLU (not folded: its bias would meet the depthwise
  zero padding) run in place without autograd: a fresh hidden tensor costs
  page faults on CPU (574 against 166 us on a 56x56x256 map).
- PerSampleNorm's weight and bias fold into the linear layer after it,
  ``W (g y + b) = (W g) y + W b``: ``norm2`` into ``fc1``, ``norm1`` into
  ``pwconv1`` or ``qkv``.

LayerNorm's weights stay: PyTorch's CPU kernel is about twice as slow
without them (474 against 252 us on a 56x56x64 map).
"""
import copy
from typing import Optional

import torch
import torch.nn as nn

from .block import MetaFormerBlock, PointwiseConv2d, Scale
from .fused_block import FusedPoolFormerBlock
from .norms import PerSampleNorm, is_one_group_norm
from .squared_relu import SquaredReLU
from .star_relu import StarReLU
from .token_mixers import Attention, Pooling, SepConv

# The first and the last layer of each mixer that has them.
MIXER_INPUT_LAYER = {SepConv: 'pwconv1', Attention: 'qkv'}
MIXER_OUTPUT_LAYER = {SepConv: 'pwconv2', Attention: 'proj'}


def _in_place_allowed() -> bool:
    """Whether an activation may write over its input: not under autograd,
    the ONNX exporter or the compiler."""
    return not (torch.is_grad_enabled() or torch.onnx.is_in_onnx_export()
                or torch.compiler.is_compiling())


class InPlaceSquaredReLU(SquaredReLU):
    """:class:`SquaredReLU` writing over its input (the MLP's hidden
    tensor) where :func:`_in_place_allowed`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _in_place_allowed():
            return super().forward(x)
        return torch.relu_(x).square_()


class InPlaceStarReLU(StarReLU):
    """:class:`StarReLU` writing over its input (the separable
    convolution's hidden tensor) where :func:`_in_place_allowed`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _in_place_allowed():
            return super().forward(x)
        x = torch.relu_(x).square_()
        return torch.addcmul(self.bias, self.scale, x, out=x)


def _with(layer: nn.Module, weight: torch.Tensor,
          bias: Optional[torch.Tensor]) -> nn.Module:
    """A copy of ``layer`` (linear or 1x1 convolution) with these weight
    and bias (None for none)."""
    layer = copy.deepcopy(layer)
    layer.weight = nn.Parameter(weight)
    layer.bias = None if bias is None else nn.Parameter(bias)
    return layer


def _plus(bias: Optional[torch.Tensor],
          added: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    if added is None:
        return bias
    return added if bias is None else bias + added


def fold_input_affine(layer: nn.Module, weight: torch.Tensor,
                      bias: Optional[torch.Tensor]) -> nn.Module:
    """``layer`` applied after ``y * weight + bias`` per input channel."""
    shape = (1, -1) + (1, ) * (layer.weight.dim() - 2)
    added = None if bias is None else layer.weight.flatten(1) @ bias
    return _with(layer, layer.weight * weight.reshape(shape),
                 _plus(layer.bias, added))


def fold_output_scale(layer: nn.Module, scale: torch.Tensor) -> nn.Module:
    """``layer`` with its output scaled by ``scale`` per channel."""
    shape = (-1, ) + (1, ) * (layer.weight.dim() - 1)
    return _with(layer, layer.weight * scale.reshape(shape),
                 None if layer.bias is None else layer.bias * scale)


def _fold_star_relu(act: StarReLU, layer: nn.Module) -> nn.Module:
    """``layer`` after ``act``'s scale and bias."""
    return _with(layer, layer.weight * act.scale,
                 _plus(layer.bias, act.bias * layer.weight.flatten(1).sum(1)))


def _in_place_star_relu(act: StarReLU) -> InPlaceStarReLU:
    """``act``'s parameters in an :class:`InPlaceStarReLU`."""
    fused = InPlaceStarReLU().to(act.scale)
    fused.load_state_dict(act.state_dict())
    return fused


def _has_affine(norm: nn.Module) -> bool:
    """Whether ``norm`` is a :class:`PerSampleNorm` with its weights."""
    return type(norm) is PerSampleNorm and norm.weight is not None


def _fold_norm(norm: PerSampleNorm, layer: nn.Module) -> nn.Module:
    """``layer`` with ``norm``'s weight and bias folded in, which ``norm``
    then lacks."""
    layer = fold_input_affine(layer, norm.weight, norm.bias)
    norm.weight = norm.bias = None
    return layer


def _fuse_pooling_block(block: MetaFormerBlock) -> FusedPoolFormerBlock:
    """A PoolFormer pooling block folded (see
    :class:`FusedPoolFormerBlock`)."""
    mlp, norm2 = block.mlp, block.norm2
    fused = FusedPoolFormerBlock(
        block.token_mixer.pool,
        (block.layer_scale1.scale * block.norm1.weight).clone(),
        (block.norm1.eps, norm2.eps),
        fold_input_affine(mlp.fc1, norm2.weight, norm2.bias), mlp.act,
        fold_output_scale(mlp.fc2, block.layer_scale2.scale))
    return fused.to(norm2.weight.device)


def _is_pooling_block(block: MetaFormerBlock) -> bool:
    """Whether ``block`` is a pooling block of (N, C, H, W) maps with
    one-group GroupNorms, layer scales, no residual scales and a 1x1
    convolution MLP."""
    return (type(block.token_mixer) is Pooling
            and not block.token_mixer.nhwc
            and is_one_group_norm(block.norm1)
            and is_one_group_norm(block.norm2)
            and isinstance(block.mlp.fc1, PointwiseConv2d)
            and isinstance(block.layer_scale1, Scale)
            and isinstance(block.res_scale1, nn.Identity))


@torch.no_grad()
def fuse_block(block: MetaFormerBlock) -> nn.Module:
    """``block`` (in eval mode) fused as the module docstring says: a new
    :class:`FusedPoolFormerBlock`, or ``block`` itself, folded in place.
    Outputs stay equal to float rounding."""
    if _is_pooling_block(block):
        return _fuse_pooling_block(block)
    mixer, mlp = block.token_mixer, block.mlp
    name = MIXER_INPUT_LAYER.get(type(mixer))
    if name is not None and _has_affine(block.norm1):
        setattr(mixer, name, _fold_norm(block.norm1, getattr(mixer, name)))
    if type(mixer) is SepConv and type(mixer.act1) is StarReLU:
        mixer.act1 = _in_place_star_relu(mixer.act1)
    if _has_affine(block.norm2):
        mlp.fc1 = _fold_norm(block.norm2, mlp.fc1)
    if type(mlp.act) is StarReLU:
        mlp.fc2 = _fold_star_relu(mlp.act, mlp.fc2)
        mlp.act = InPlaceSquaredReLU()
    name = MIXER_OUTPUT_LAYER.get(type(mixer))
    if name is not None and isinstance(block.layer_scale1, Scale):
        setattr(mixer, name, fold_output_scale(getattr(mixer, name),
                                               block.layer_scale1.scale))
        block.layer_scale1 = nn.Identity()
    if isinstance(block.layer_scale2, Scale):
        mlp.fc2 = fold_output_scale(mlp.fc2, block.layer_scale2.scale)
        block.layer_scale2 = nn.Identity()
    return block
