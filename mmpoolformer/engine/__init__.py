from .cpu_autocast import CPUAutocastOptimWrapper
from .fuse_backbone_hook import FuseBackboneHook, fuse_backbones
from .iteration_seed_hook import IterationSeedHook
from .runner import Runner

__all__ = [
    'CPUAutocastOptimWrapper', 'FuseBackboneHook', 'IterationSeedHook',
    'Runner', 'fuse_backbones'
]
