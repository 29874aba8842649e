from .cpu_autocast import CPUAutocastOptimWrapper
from .cpu_launch import end_process_group, set_up_cpu_launch
from .fuse_backbone_hook import FuseBackboneHook, fuse_backbones
from .iteration_seed_hook import IterationSeedHook
from .runner import Runner, build_runner

__all__ = [
    'CPUAutocastOptimWrapper', 'FuseBackboneHook', 'IterationSeedHook',
    'Runner', 'build_runner', 'end_process_group', 'fuse_backbones',
    'set_up_cpu_launch'
]
