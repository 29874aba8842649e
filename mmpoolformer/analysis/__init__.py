from .complexity import count_complexity
from .dummy_inputs import build_model, dummy_batch
from .timing import synchronize

__all__ = ['build_model', 'count_complexity', 'dummy_batch', 'synchronize']
