"""Flushing denormal floats to zero on every CPU thread PyTorch computes on.

``torch.set_flush_denormal`` sets the flush-to-zero and denormals-are-zero
bits of the calling thread only. PyTorch's CPU kernels (and oneDNN's) run
on the threads of its OpenMP pool, which keep their own bits: with two
threads, half of an op's elements were still computed with denormals.
"""
import ctypes
from typing import Optional

import torch

# The signature of an OpenMP outlined function: void fn(void *data).
_OUTLINED = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _loaded_libgomp() -> Optional[str]:
    """The path of the GNU OpenMP runtime this process has loaded (the one
    PyTorch's Linux wheels bring), or None."""
    try:
        with open('/proc/self/maps') as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if '/libgomp' in path:
                    return path
    except OSError:
        pass
    return None


def flush_denormals(on: bool = True) -> int:
    """Flushes denormal floats to zero (or, with ``on=False``, stops) on
    this thread and on each of the ``torch.get_num_threads()`` threads of
    PyTorch's OpenMP pool, by running ``torch.set_flush_denormal`` once in
    each of them. Where PyTorch runs on no GNU OpenMP runtime, this thread
    only.

    Training from scratch on the CPU computes with denormals (tiny
    gradients and activations), which cost some CPUs a hundred cycles an
    operation.

    Returns:
        int: The threads set; 0 where the CPU cannot flush denormals.
    """
    if not torch.set_flush_denormal(on):
        return 0
    library = _loaded_libgomp() if torch._C.has_openmp else None
    if library is None:
        return 1
    threads = []

    def set_this_thread(_data) -> None:
        torch.set_flush_denormal(on)
        threads.append(1)

    gomp = ctypes.CDLL(library)
    gomp.GOMP_parallel.argtypes = [
        _OUTLINED, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint
    ]
    gomp.GOMP_parallel.restype = None
    # Like `#pragma omp parallel num_threads(n)`: this thread and n - 1
    # threads of the pool each run the function once.
    gomp.GOMP_parallel(
        _OUTLINED(set_this_thread), None, torch.get_num_threads(), 0)
    return len(threads)
