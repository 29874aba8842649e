"""Checks of constructor arguments.

Each check refuses a bad value where it enters, with a TypeError (wrong
type) or a ValueError (wrong value) whose message names the argument, the
value and what is allowed. ``bool`` is refused where an int or a number is
asked for, although Python counts it as one.
"""
import math
from numbers import Integral, Real
from typing import Any, List, Optional


def is_int(value: Any) -> bool:
    """Whether ``value`` is an int (numpy's included), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (int, float, numpy's), not a
    bool."""
    return isinstance(value, Real) and not isinstance(value, bool)


def check_bool(name: str, value: Any) -> bool:
    """``value``, which must be True or False.

    Args:
        name (str): The argument, for the message.
        value (Any): Its value.

    Raises:
        TypeError: anything else, e.g. 1 or 'yes'.
    """
    if not isinstance(value, bool):
        raise TypeError(f'{name} must be True or False, got {value!r}')
    return value


def check_int(name: str,
              value: Any,
              minimum: Optional[int] = None,
              maximum: Optional[int] = None) -> int:
    """``value`` as an int, which must be in ``[minimum, maximum]``.

    Args:
        name (str): The argument, for the message.
        value (Any): Its value.
        minimum (int, optional): The smallest value allowed. Defaults to
            None, no bound.
        maximum (int, optional): The largest value allowed. Defaults to
            None, no bound.

    Raises:
        TypeError: not an int.
        ValueError: out of range.
    """
    allowed = 'an int'
    if minimum is not None and maximum is not None:
        allowed = f'an int from {minimum} to {maximum}'
    elif minimum is not None:
        allowed = f'an int >= {minimum}'
    elif maximum is not None:
        allowed = f'an int <= {maximum}'
    if not is_int(value):
        raise TypeError(f'{name} must be {allowed}, got {value!r}')
    if (minimum is not None and value < minimum) or (maximum is not None
                                                     and value > maximum):
        raise ValueError(f'{name} must be {allowed}, got {value!r}')
    return int(value)


def check_odd_size(name: str, value: Any) -> int:
    """``value``, a window size, which must be an odd positive int: only an
    odd window is centred on each position and keeps the map's size.

    Args:
        name (str): The argument, for the message.
        value (Any): Its value.

    Raises:
        TypeError: not an int.
        ValueError: even, zero or negative.
    """
    allowed = ('an odd positive int (an even window would shift the map '
               'and change its size)')
    if not is_int(value):
        raise TypeError(f'{name} must be {allowed}, got {value!r}')
    if value < 1 or value % 2 == 0:
        raise ValueError(f'{name} must be {allowed}, got {value!r}')
    return int(value)


def check_number(name: str,
                 value: Any,
                 low: float = -math.inf,
                 high: float = math.inf,
                 high_open: bool = False) -> float:
    """``value``, a finite number in ``[low, high]`` (or ``[low, high)``).

    Args:
        name (str): The argument, for the message.
        value (Any): Its value.
        low (float): The smallest value allowed. Defaults to -inf, no
            bound.
        high (float): The largest value allowed (or the bound it must stay
            under). Defaults to inf, no bound.
        high_open (bool): Whether ``high`` itself is refused. Defaults to
            False.

    Raises:
        TypeError: not a number.
        ValueError: not finite, or out of range.
    """
    if high < math.inf:
        allowed = f'a number in [{low:g}, {high:g}{")" if high_open else "]"}'
    elif low > -math.inf:
        allowed = f'a finite number >= {low:g}'
    else:
        allowed = 'a finite number'
    if not is_number(value):
        raise TypeError(f'{name} must be {allowed}, got {value!r}')
    if not (math.isfinite(value) and low <= value <= high) or (
            high_open and value == high):
        raise ValueError(f'{name} must be {allowed}, got {value!r}')
    return value


def check_list(name: str, value: Any, length: Optional[int] = None) -> List:
    """``value``, a list or tuple, as a list of ``length`` entries.

    Args:
        name (str): The argument, for the message.
        value (Any): Its value.
        length (int, optional): The number of entries it must have.
            Defaults to None: any number but none.

    Raises:
        TypeError: not a list or tuple (a str is refused).
        ValueError: empty, or of another length.
    """
    allowed = f'a list of {length} entries' if length is not None \
        else 'a non-empty list'
    if not isinstance(value, (list, tuple)):
        raise TypeError(f'{name} must be {allowed}, got {value!r}')
    wrong_length = len(value) != length if length is not None else not value
    if wrong_length:
        raise ValueError(f'{name} must be {allowed}, got {value!r}')
    return list(value)
