"""The block, its MLP and scales, the stage and the downsampling, on
PoolFormer's (N, C, H, W) maps or the Baselines' (N, H, W, C) ones
(``nhwc``), so that each family's weights keep their shapes."""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from torch.utils.checkpoint import checkpoint

from . import onednn_mlp


def in_place_allowed() -> bool:
    """Whether a fused layer may write over tensors: not under autograd,
    ONNX export or compiling."""
    return not (torch.is_grad_enabled() or torch.onnx.is_in_onnx_export()
                or torch.compiler.is_compiling())


class PointwiseConv2d(nn.Conv2d):
    """The MLP's 1x1 convolution, a class that init configs select apart
    from the stem's and downsampling's ``Conv2d``."""

    def __init__(self, in_channels: int, out_channels: int,
                 bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size=1, bias=bias)


class Scale(nn.Module):
    """A learnable per-channel ``scale`` of ``dim`` entries, all
    ``init_value`` at first: the layer and residual scales."""

    def __init__(self, dim: int, init_value: float = 1.,
                 nhwc: bool = True) -> None:
        super().__init__()
        self.nhwc = nhwc
        self.scale = nn.Parameter(torch.full((dim, ), float(init_value)))

    def per_channel(self) -> torch.Tensor:
        """``scale`` shaped to multiply the maps."""
        return self.scale if self.nhwc else self.scale[:, None, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.per_channel()


def optional_scale(dim: int, init_value: Optional[float],
                   nhwc: bool) -> nn.Module:
    """A :class:`Scale`, or an identity where ``init_value`` is None."""
    return nn.Identity() if init_value is None else Scale(
        dim, init_value, nhwc)


class Mlp(nn.Module):
    """The channel MLP, ``fc2(act(fc1(x)))``, dropout ``drop`` after each
    layer: linear layers of (N, H, W, C) maps, or :class:`PointwiseConv2d`
    of (N, C, H, W) maps, with or without ``bias``."""

    def __init__(self,
                 dim: int,
                 hidden_dim: int,
                 act: nn.Module,
                 drop: float = 0.,
                 bias: bool = False,
                 nhwc: bool = True) -> None:
        super().__init__()
        layer = nn.Linear if nhwc else PointwiseConv2d
        self.fc1 = layer(dim, hidden_dim, bias=bias)
        self.act = act
        self.drop1 = nn.Dropout(drop)
        self.fc2 = layer(hidden_dim, dim, bias=bias)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class MetaFormerBlock(nn.Module):
    """``r1 * x + s1 * mixer(norm1(x))``, then ``r2 * x + s2 * mlp(norm2(x))``.

    ``r`` are the residual scales, ``s`` the layer scales (none where the
    initial value is None); both branches pass through drop path. Once
    :func:`~mmpoolformer.models.layers.fuse.fuse_block` has set ``fused``, a
    block in eval mode without autograd writes each sum over its branch
    (fresh tensors cost page faults on CPU; a hook keeping the mixer's or
    MLP's output sees the sum) and runs a GELU 1x1-convolution MLP with its
    sum as two oneDNN convolutions where :func:`.onednn_mlp.can_run`.

    Args:
        dim (int): Channels.
        token_mixer, norm1, norm2, mlp (nn.Module): The parts.
        drop_path (float): Drop path probability. Defaults to 0.
        layer_scale_init_value, res_scale_init_value (float, optional):
            Initial ``s`` and ``r``. Defaults to None.
        nhwc (bool): (N, H, W, C) maps, else (N, C, H, W). Defaults to True.
    """

    def __init__(self,
                 dim: int,
                 token_mixer: nn.Module,
                 norm1: nn.Module,
                 norm2: nn.Module,
                 mlp: nn.Module,
                 drop_path: float = 0.,
                 layer_scale_init_value: Optional[float] = None,
                 res_scale_init_value: Optional[float] = None,
                 nhwc: bool = True) -> None:
        super().__init__()
        self.norm1 = norm1
        self.token_mixer = token_mixer
        self.drop_path = DropPath(drop_path) if drop_path > 0 \
            else nn.Identity()
        self.layer_scale1 = optional_scale(dim, layer_scale_init_value, nhwc)
        self.res_scale1 = optional_scale(dim, res_scale_init_value, nhwc)
        self.norm2 = norm2
        self.mlp = mlp
        self.layer_scale2 = optional_scale(dim, layer_scale_init_value, nhwc)
        self.res_scale2 = optional_scale(dim, res_scale_init_value, nhwc)
        self.fused = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused and not self.training and in_place_allowed():
            return self._forward_in_place(x)
        x = self.res_scale1(x) + self.layer_scale1(
            self.drop_path(self.token_mixer(self.norm1(x))))
        return self.res_scale2(x) + self.layer_scale2(
            self.drop_path(self.mlp(self.norm2(x))))

    def _forward_in_place(self, x: torch.Tensor) -> torch.Tensor:
        x = _add_residual_(self.token_mixer(self.norm1(x)), x,
                           self.layer_scale1, self.res_scale1)
        y, mlp = self.norm2(x), self.mlp
        unscaled = isinstance(self.layer_scale2, nn.Identity) and \
            isinstance(self.res_scale2, nn.Identity)
        if unscaled and isinstance(mlp, Mlp) and onednn_mlp.can_run(x, mlp):
            return onednn_mlp.mlp_add_(x, y, mlp)
        return _add_residual_(mlp(y), x, self.layer_scale2, self.res_scale2)


def _add_residual_(branch: torch.Tensor, x: torch.Tensor,
                   layer_scale: nn.Module,
                   res_scale: nn.Module) -> torch.Tensor:
    """``res_scale(x) + layer_scale(branch)``, written into ``branch``
    unless it shares memory with ``x`` or the sum has another dtype (under
    autocast the float32 scales or ``x`` keep the sum in float32)."""
    dtypes = {branch.dtype, x.dtype} | {
        module.scale.dtype
        for module in (layer_scale, res_scale) if isinstance(module, Scale)
    }
    if len(dtypes) > 1 or branch.untyped_storage().data_ptr() == \
            x.untyped_storage().data_ptr():
        return res_scale(x) + layer_scale(branch)
    if isinstance(layer_scale, Scale):
        return torch.addcmul(res_scale(x), branch, layer_scale.per_channel(),
                             out=branch)
    return branch.add_(res_scale(x))


class Downsampling(nn.Module):
    """``post_norm(conv(pre_norm(x)))``, either norm optional: the stem or
    the downsampling into a stage; input and output (N, H, W, C) with
    ``nhwc_in`` / ``nhwc_out``, else (N, C, H, W)."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int,
                 padding: int,
                 pre_norm: Optional[nn.Module] = None,
                 post_norm: Optional[nn.Module] = None,
                 nhwc_in: bool = False,
                 nhwc_out: bool = False) -> None:
        super().__init__()
        self.nhwc_in, self.nhwc_out = nhwc_in, nhwc_out
        self.pre_norm = pre_norm or nn.Identity()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              padding)
        self.post_norm = post_norm or nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pre_norm(x)
        x = self.conv(x.permute(0, 3, 1, 2) if self.nhwc_in else x)
        return self.post_norm(x.permute(0, 2, 3, 1) if self.nhwc_out else x)


class MetaFormerStage(nn.Sequential):
    """A stage's blocks (``{j}.*``, the official names), each checkpointed
    while gradients are needed with ``with_cp``."""

    def __init__(self, blocks: List[nn.Module], with_cp: bool = False) -> None:
        super().__init__(*blocks)
        self.with_cp = with_cp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        use_cp = self.with_cp and x.requires_grad
        for block in self:
            x = checkpoint(block, x, use_reentrant=False) if use_cp \
                else block(x)
        return x


def add_pos_embed(x: torch.Tensor,
                  pos_embed: torch.Tensor,
                  nhwc: bool = False) -> torch.Tensor:
    """``x + pos_embed`` for a (N, C, H, W) map (with ``nhwc``, a
    (N, H, W, C) one) and a (1, C, H', W') embedding, resized bicubically
    (as ViT's are) to a map of another size. An ONNX export always resizes
    (exact at the same size), so that its graph takes any size."""
    size = x.shape[1:3] if nhwc else x.shape[-2:]
    if torch.onnx.is_in_onnx_export() or pos_embed.shape[-2:] != size:
        pos_embed = F.interpolate(
            pos_embed, size=size, mode='bicubic', align_corners=False)
    return x + (pos_embed.permute(0, 2, 3, 1) if nhwc else pos_embed)
