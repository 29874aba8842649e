"""Classifier heads; they need mmpretrain, which ``import mmpoolformer``
does not import: configs import this package explicitly."""
from .metaformer_cls_head import MetaFormerClsHead, MlpHead

__all__ = ['MetaFormerClsHead', 'MlpHead']
