"""Learnable position embeddings added to a stage's feature map."""
import torch
import torch.nn.functional as F


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
