"""PoolFormer / MetaFormer backbones for the OpenMMLab 2.x libraries."""
from .checkpoint import (register_atomic_saving,
                         register_safe_checkpoint_loading)
from .config_package import register_config_package
from .datasets import DataError
from .engine import CPUAutocastOptimWrapper, IterationSeedHook, Runner
from .models import PoolFormer
from .registry import MODELS
from .version import __version__

register_safe_checkpoint_loading()
register_atomic_saving()
register_config_package()

__all__ = [
    'CPUAutocastOptimWrapper', 'DataError', 'IterationSeedHook', 'MODELS',
    'PoolFormer', 'Runner', '__version__'
]
