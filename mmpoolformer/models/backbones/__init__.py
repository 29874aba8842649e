from .metaformer import (CAFormer, ConvFormer, MetaFormer, MetaFormerBaseline,
                         PoolFormer, PoolFormerV2)

__all__ = [
    'CAFormer', 'ConvFormer', 'MetaFormer', 'MetaFormerBaseline',
    'PoolFormer', 'PoolFormerV2'
]
