"""Learnable position embeddings added to a stage's feature map."""
import torch
import torch.nn.functional as F


def add_pos_embed(x: torch.Tensor, pos_embed: torch.Tensor) -> torch.Tensor:
    """``x + pos_embed`` for a (N, C, H, W) map and a (1, C, H', W')
    embedding.

    At the size the embedding was built for the sum is exact; on a map of
    another size (a detector's or segmentor's input) the embedding is first
    resized to it by bicubic interpolation (``align_corners=False``), as ViT
    embeddings are for other resolutions. An ONNX export always resizes
    (to the same size that is exact too), so that the graph takes inputs of
    any size.

    Args:
        x (torch.Tensor): The feature map.
        pos_embed (torch.Tensor): The embedding.
    """
    if torch.onnx.is_in_onnx_export() or pos_embed.shape[-2:] != x.shape[-2:]:
        pos_embed = F.interpolate(
            pos_embed, size=x.shape[-2:], mode='bicubic', align_corners=False)
    return x + pos_embed
