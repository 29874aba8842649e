from .metaformer_baselines import CAFormer, ConvFormer, PoolFormerV2
from .poolformer import PoolFormer

__all__ = ['CAFormer', 'ConvFormer', 'PoolFormer', 'PoolFormerV2']
