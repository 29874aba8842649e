from .complexity import count_complexity
from .dummy_inputs import DEFAULT_SHAPES, build_model, dummy_batch
from .timing import measure_throughput, synchronize

__all__ = [
    'DEFAULT_SHAPES', 'build_model', 'count_complexity', 'dummy_batch',
    'measure_throughput', 'synchronize'
]
