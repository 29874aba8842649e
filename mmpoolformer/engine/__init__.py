from .cpu_autocast import CPUAutocastOptimWrapper
from .iteration_seed_hook import IterationSeedHook
from .runner import Runner

__all__ = ['CPUAutocastOptimWrapper', 'IterationSeedHook', 'Runner']
