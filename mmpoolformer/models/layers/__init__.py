from .fused_block import FusedPoolFormerBlock
from .metaformer_block import ConvMlp, MetaFormerBlock, PatchEmbed
from .norms import (ACT_LAYERS, NORM_LAYERS, GroupNorm1, LayerNorm2d,
                    build_act, build_norm)
from .token_mixers import (TOKEN_MIXERS, Attention, Pooling, SpatialMLP,
                           build_token_mixer)

__all__ = [
    'ACT_LAYERS', 'NORM_LAYERS', 'TOKEN_MIXERS', 'Attention', 'ConvMlp',
    'FusedPoolFormerBlock',
    'GroupNorm1', 'LayerNorm2d', 'MetaFormerBlock', 'PatchEmbed', 'Pooling',
    'SpatialMLP', 'build_act', 'build_norm', 'build_token_mixer'
]
