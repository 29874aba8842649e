"""PoolFormer / MetaFormer backbones for the OpenMMLab 2.x libraries.

Importing registers our classes in the ``mmpoolformer`` scope and changes
nothing else in the process but one thing: mmengine's checkpoint types join
torch's ``weights_only`` allow-list (see
:func:`mmpoolformer.checkpoint.allow_mmengine_checkpoint_types`).
"""
from .checkpoint import allow_mmengine_checkpoint_types
from .config_package import register_config_package
from .datasets import DataError
from .engine import CPUAutocastOptimWrapper, IterationSeedHook, Runner
from .models import CAFormer, ConvFormer, PoolFormer, PoolFormerV2
from .registry import MODELS
from .version import __version__

allow_mmengine_checkpoint_types()
register_config_package()

__all__ = [
    'CAFormer', 'ConvFormer', 'CPUAutocastOptimWrapper', 'DataError',
    'IterationSeedHook', 'MODELS', 'PoolFormer', 'PoolFormerV2', 'Runner',
    '__version__'
]
