from .aliases import resolve_alias
from .fused_block import FusedPoolFormerBlock
from .metaformer_block import (ConvMlp, MetaFormerBlock, PatchEmbed,
                               PointwiseConv2d)
from .norms import (ACT_ALIASES, NORM_ALIASES, GroupNorm, LayerNorm2d,
                    build_act, build_norm, is_one_group_norm)
from .pos_embed import add_pos_embed
from .token_mixers import (TOKEN_MIXER_ALIASES, Attention, Pooling,
                           SpatialMLP, build_token_mixer)

__all__ = [
    'ACT_ALIASES', 'Attention', 'ConvMlp', 'FusedPoolFormerBlock',
    'GroupNorm', 'LayerNorm2d', 'MetaFormerBlock', 'NORM_ALIASES',
    'PatchEmbed', 'PointwiseConv2d', 'Pooling', 'SpatialMLP',
    'TOKEN_MIXER_ALIASES', 'add_pos_embed', 'build_act', 'build_norm',
    'build_token_mixer', 'is_one_group_norm', 'resolve_alias'
]
