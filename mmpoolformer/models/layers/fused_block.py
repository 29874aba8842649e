"""An inference-only PoolFormer block with its affine parts folded away."""
import torch
import torch.nn as nn

from . import onednn_mlp
from .norms import normalize_per_sample


class FusedPoolFormerBlock(nn.Module):
    """A pooling block whose norm affines and layer scales are folded.

    Pooling that does not count its padding keeps per-channel constants,
    so ``pool(g y + b) - (g y + b) = g (pool(y) - y)``: the mixer branch
    needs the normalised ``y`` and one per-channel scale. The MLP folds
    ``norm2``'s affine into ``fc1`` and the layer scale into ``fc2``.
    Without autograd it runs in place and, on CPU, fuses the MLP's
    element-wise tails into its convolutions (:mod:`.onednn_mlp`). Built by
    :func:`~mmpoolformer.models.layers.fuse.fuse_block`.

    Args:
        pool (nn.AvgPool2d): The pooling of the original mixer.
        mixer_scale (Tensor): ``layer_scale1.scale * norm1.weight``, shape
            (C, ).
        eps (tuple[float, float]): The two norms' eps.
        fc1 (nn.Conv2d): ``mlp.fc1`` with ``norm2``'s affine folded in.
        act (nn.Module): The MLP activation.
        fc2 (nn.Conv2d): ``mlp.fc2`` with ``layer_scale2`` folded in.
    """

    def __init__(self, pool: nn.AvgPool2d, mixer_scale: torch.Tensor,
                 eps: tuple, fc1: nn.Conv2d, act: nn.Module,
                 fc2: nn.Conv2d) -> None:
        super().__init__()
        self.pool = pool
        self.register_buffer('mixer_scale', mixer_scale[:, None, None])
        self.eps1, self.eps2 = eps
        self.fc1, self.act, self.fc2 = fc1, act, fc2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or torch.onnx.is_in_onnx_export() or \
                torch.compiler.is_compiling():
            # Autograd, the exporter and the compiler get plain ops.
            y = normalize_per_sample(x, self.eps1)
            x = torch.addcmul(x, self.pool(y) - y, self.mixer_scale)
            y = normalize_per_sample(x, self.eps2)
            return x + self.fc2(self.act(self.fc1(y)))
        return self._forward_in_place(x)

    def _forward_in_place(self, x: torch.Tensor) -> torch.Tensor:
        """The same, writing over the tensors it allocated itself (fresh
        ones cost page faults on CPU), with :mod:`.onednn_mlp` where it
        can run."""
        y = normalize_per_sample(x, self.eps1)
        mixed = self.pool(y).sub_(y)
        x = torch.addcmul(x, mixed, self.mixer_scale, out=mixed)
        y = normalize_per_sample(x, self.eps2)
        if onednn_mlp.can_run(x, self.fc1, self.act):
            return onednn_mlp.mlp_add_(x, y, self.fc1, self.fc2)
        return self.fc2(self.act(self.fc1(y))).add_(x)
