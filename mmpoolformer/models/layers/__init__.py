from .aliases import resolve_alias
from .baseline_block import BaselineBlock, Downsampling, LinearMlp
from .channels_last_mixers import (CHANNELS_LAST_MIXER_ALIASES,
                                   ChannelsLastAttention, ChannelsLastPooling,
                                   SepConv)
from .channels_last_norms import PerSampleNorm
from .fused_block import FusedPoolFormerBlock
from .metaformer_block import (ConvMlp, MetaFormerBlock, PatchEmbed,
                               PointwiseConv2d)
from .norms import (ACT_ALIASES, NORM_ALIASES, GroupNorm, LayerNorm2d,
                    build_act, build_norm, is_one_group_norm)
from .pos_embed import add_pos_embed
from .scale import Scale
from .squared_relu import SquaredReLU
from .star_relu import StarReLU
from .token_mixers import (TOKEN_MIXER_ALIASES, Attention, Pooling,
                           SpatialMLP, build_token_mixer)

__all__ = [
    'ACT_ALIASES', 'Attention', 'BaselineBlock', 'CHANNELS_LAST_MIXER_ALIASES',
    'ChannelsLastAttention', 'ChannelsLastPooling', 'ConvMlp', 'Downsampling',
    'FusedPoolFormerBlock', 'GroupNorm', 'LayerNorm2d', 'LinearMlp',
    'MetaFormerBlock', 'NORM_ALIASES', 'PatchEmbed', 'PerSampleNorm',
    'PointwiseConv2d', 'Pooling', 'Scale', 'SepConv', 'SpatialMLP',
    'SquaredReLU', 'StarReLU', 'TOKEN_MIXER_ALIASES', 'add_pos_embed',
    'build_act', 'build_norm', 'build_token_mixer', 'is_one_group_norm',
    'resolve_alias'
]
