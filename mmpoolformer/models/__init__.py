from .backbones import CAFormer, ConvFormer, PoolFormer, PoolFormerV2

__all__ = ['CAFormer', 'ConvFormer', 'PoolFormer', 'PoolFormerV2']
