from .activations import SquaredReLU, StarReLU
from .block import (Downsampling, MetaFormerBlock, MetaFormerStage, Mlp,
                    PointwiseConv2d, Scale, add_pos_embed)
from .norms import (ACT_ALIASES, NORM_ALIASES, GroupNorm, LayerNorm2d,
                    PerSampleNorm, build_act, build_norm, is_one_group_norm,
                    resolve_alias)
from .token_mixers import (TOKEN_MIXER_ALIASES, Attention, Pooling, SepConv,
                           SpatialMLP, build_token_mixer)

__all__ = [
    'ACT_ALIASES', 'Attention', 'Downsampling',
    'GroupNorm', 'LayerNorm2d', 'MetaFormerBlock',
    'MetaFormerStage', 'Mlp', 'NORM_ALIASES', 'PerSampleNorm',
    'PointwiseConv2d', 'Pooling', 'Scale', 'SepConv', 'SpatialMLP',
    'SquaredReLU', 'StarReLU', 'TOKEN_MIXER_ALIASES', 'add_pos_embed',
    'build_act', 'build_norm', 'build_token_mixer', 'is_one_group_norm',
    'resolve_alias'
]
