from .config_loading import (UsageError, add_custom_hook, build_config_model,
                             check_checkpoint, load_config, set_work_dir)
from .cpu_autocast import CPUAutocastOptimWrapper
from .cpu_launch import end_process_group, set_up_cpu_launch
from .fast_inference import choose_fast_inference
from .fuse_backbone_hook import FuseBackboneHook, fuse_backbones
from .iteration_seed_hook import IterationSeedHook
from .layer_decay import LayerDecayOptimWrapperConstructor
from .runner import Runner, build_runner

__all__ = [
    'CPUAutocastOptimWrapper', 'FuseBackboneHook', 'IterationSeedHook',
    'LayerDecayOptimWrapperConstructor',
    'Runner', 'UsageError', 'add_custom_hook', 'build_config_model',
    'build_runner', 'check_checkpoint', 'choose_fast_inference',
    'end_process_group',
    'fuse_backbones', 'load_config', 'set_up_cpu_launch', 'set_work_dir'
]
