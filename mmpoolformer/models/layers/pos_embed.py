"""Learnable position embeddings added to a stage's feature map."""
import torch
import torch.nn.functional as F


def add_pos_embed(x: torch.Tensor,
                  pos_embed: torch.Tensor,
                  nhwc: bool = False) -> torch.Tensor:
    """``x + pos_embed`` for a (N, C, H, W) map (or, with ``nhwc``, a
    (N, H, W, C) one) and a (1, C, H', W') embedding.

    At the size the embedding was built for the sum is exact; on a map of
    another size (a detector's or segmentor's input) the embedding is first
    resized to it by bicubic interpolation (``align_corners=False``), as ViT
    embeddings are for other resolutions. An ONNX export always resizes
    (to the same size that is exact too), so that the graph takes inputs of
    any size.

    Args:
        x (torch.Tensor): The feature map.
        pos_embed (torch.Tensor): The embedding.
        nhwc (bool): ``x`` is (N, H, W, C). Defaults to False.
    """
    size = x.shape[1:3] if nhwc else x.shape[-2:]
    if torch.onnx.is_in_onnx_export() or pos_embed.shape[-2:] != size:
        pos_embed = F.interpolate(
            pos_embed, size=size, mode='bicubic', align_corners=False)
    return x + (pos_embed.permute(0, 2, 3, 1) if nhwc else pos_embed)
