"""Fusing a MetaFormer block for inference: exact folds into the next
layer where they save work on CPU; the block then runs in place without
autograd (:class:`MetaFormerBlock`).

- Layer scales into the layer before them, ``s (W x + b) = (s W) x + s b``:
  ``fc2``, the mixer's ``proj`` or ``pwconv2``.
- The MLP's StarReLU scale and bias into ``fc2``, ``W (s r + b) = (s W) r
  + b W.sum(1)``; ``relu(h)^2`` and the separable convolution's StarReLU
  (its bias would meet the zero padding) then run in place: a fresh hidden
  tensor costs page faults on CPU (574 against 166 us, 56x56x256).
- A one-group norm's weight and bias into the linear layer after it,
  ``W (g y + b) = (W g) y + W b`` (``fc1``, ``pwconv1``, ``qkv``); before
  pooling (which does not count padding) into the layer scale,
  ``pool(g y + b) - (g y + b) = g (pool(y) - y)``.

LayerNorm keeps its weights: PyTorch's CPU kernel is about twice as slow
without them (474 against 252 us, 56x56x64).
"""
import copy
from typing import Optional

import torch
import torch.nn as nn

from .activations import SquaredReLU, StarReLU
from .block import MetaFormerBlock, Scale, in_place_allowed
from .norms import PerSampleNorm, is_one_group_norm
from .token_mixers import Attention, Pooling, SepConv

# The first and the last layer of each mixer that has them.
MIXER_INPUT_LAYER = {SepConv: 'pwconv1', Attention: 'qkv'}
MIXER_OUTPUT_LAYER = {SepConv: 'pwconv2', Attention: 'proj'}


class InPlaceSquaredReLU(SquaredReLU):
    """:class:`SquaredReLU` in place where :func:`in_place_allowed`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not in_place_allowed():
            return super().forward(x)
        return torch.relu_(x).square_()


class InPlacePooling(Pooling):
    """:class:`Pooling` subtracting in place where
    :func:`in_place_allowed`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not in_place_allowed():
            return super().forward(x)
        return self.pooled(x).sub_(x)


class InPlaceStarReLU(StarReLU):
    """:class:`StarReLU` in place where :func:`in_place_allowed`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not in_place_allowed():
            return super().forward(x)
        x = torch.relu_(x).square_()
        return torch.addcmul(self.bias, self.scale, x, out=x)


def _with(layer: nn.Module, weight: torch.Tensor,
          bias: Optional[torch.Tensor]) -> nn.Module:
    """A copy of ``layer`` with this weight and bias (None: none)."""
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
    """``layer`` followed by ``scale`` per channel."""
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
    """Whether ``norm`` is a one-group norm with a weight per channel."""
    return (type(norm) is PerSampleNorm or is_one_group_norm(norm)) \
        and norm.weight is not None


def _fold_norm(norm: nn.Module, layer: nn.Module) -> nn.Module:
    """``layer`` with ``norm``'s weight and bias, which ``norm`` loses."""
    layer = fold_input_affine(layer, norm.weight, norm.bias)
    norm.weight = norm.bias = None
    return layer


def _fold_norm_into_pooling(block: MetaFormerBlock) -> None:
    """``block.norm1``'s weight into ``layer_scale1`` (new where there
    was none); its bias drops out of ``pool(y) - y``."""
    norm, scale = block.norm1, block.layer_scale1
    weight = norm.weight if isinstance(scale, nn.Identity) \
        else scale.scale * norm.weight
    block.layer_scale1 = Scale(len(weight), nhwc=block.token_mixer.nhwc)
    block.layer_scale1.scale = nn.Parameter(weight.clone())
    norm.weight = norm.bias = None


@torch.no_grad()
def fuse_block(block: MetaFormerBlock) -> MetaFormerBlock:
    """``block`` (in eval mode) folded in place as the module docstring
    says and set to run in place; outputs equal to float rounding."""
    mixer, mlp = block.token_mixer, block.mlp
    name = MIXER_INPUT_LAYER.get(type(mixer))
    if type(mixer) is Pooling:
        if _has_affine(block.norm1):
            _fold_norm_into_pooling(block)
        block.token_mixer = InPlacePooling(mixer.pool.kernel_size,
                                           mixer.nhwc)
    elif name is not None and _has_affine(block.norm1):
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
    block.fused = True
    return block
