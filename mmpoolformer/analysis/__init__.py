from .complexity import count_complexity
from .dummy_inputs import (DEFAULT_SHAPES, build_model, dummy_batch,
                           timed_model, timed_training)
from .timing import compare_throughput, synchronize

__all__ = [
    'DEFAULT_SHAPES', 'build_model', 'compare_throughput',
    'count_complexity', 'dummy_batch', 'synchronize',
    'timed_model', 'timed_training'
]
