"""Checks of constructor arguments: each ``check_*(name, value, ...)``
returns ``value`` or raises a TypeError (wrong type, ``bool`` for a number
too) or ValueError naming the argument, the value and what is allowed."""
import math
from numbers import Integral, Real
from typing import Any, List, Optional


def is_int(value: Any) -> bool:
    """Whether ``value`` is an int (numpy's too), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (numpy's too), not a bool."""
    return isinstance(value, Real) and not isinstance(value, bool)


def _refuse(name: str, value: Any, allowed: str, type_ok: bool) -> None:
    kind = ValueError if type_ok else TypeError
    raise kind(f'{name} must be {allowed}, got {value!r}')


def check_bool(name: str, value: Any) -> bool:
    """True or False (not 1 or 'yes')."""
    if not isinstance(value, bool):
        raise TypeError(f'{name} must be True or False, got {value!r}')
    return value


def check_int(name: str, value: Any, minimum: Optional[int] = None) -> int:
    """An int, at least ``minimum`` where one is given."""
    allowed = 'an int' if minimum is None else f'an int >= {minimum}'
    if not is_int(value) or (minimum is not None and value < minimum):
        _refuse(name, value, allowed, is_int(value))
    return int(value)


def check_odd_size(name: str, value: Any) -> int:
    """An odd positive int: a window that keeps the map's size."""
    if not is_int(value) or value < 1 or value % 2 == 0:
        _refuse(name, value, 'an odd positive int (an even window would '
                'shift the map and change its size)', is_int(value))
    return int(value)


def check_number(name: str,
                 value: Any,
                 low: float = -math.inf,
                 high: float = math.inf,
                 high_open: bool = False) -> float:
    """A finite number in ``[low, high]``, or ``[low, high)`` with
    ``high_open``."""
    if high < math.inf:
        allowed = f'a number in [{low:g}, {high:g}{")" if high_open else "]"}'
    elif low > -math.inf:
        allowed = f'a finite number >= {low:g}'
    else:
        allowed = 'a finite number'
    if not is_number(value) or not (math.isfinite(value)
                                    and low <= value <= high) or (
                                        high_open and value == high):
        _refuse(name, value, allowed, is_number(value))
    return value


def check_list(name: str, value: Any, length: Optional[int] = None) -> List:
    """A list or tuple of ``length`` entries (else not empty), as a
    list."""
    allowed = f'a list of {length} entries' if length is not None \
        else 'a non-empty list'
    is_list = isinstance(value, (list, tuple))
    if not is_list or (len(value) != length if length is not None
                       else not value):
        _refuse(name, value, allowed, is_list)
    return list(value)
