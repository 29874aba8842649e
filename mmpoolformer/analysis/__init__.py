from .complexity import count_complexity

__all__ = ['count_complexity']
