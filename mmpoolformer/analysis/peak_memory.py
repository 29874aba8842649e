"""How far a training step of our backbone raises the memory, with and
without ``with_cp``, each measured in a fresh process.

Run as ``python -m mmpoolformer.analysis.peak_memory ARCH WITH_CP SIZE
DEVICE``, it measures one step (batch 2, SIZE x SIZE) and prints
``{"peak_mb": ...}``.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from .backbone_benchmark import build_ours


def _status_kb(field):
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise RuntimeError(f'no {field} in /proc/self/status')


def measure_step(arch: str, with_cp: bool, size: int, device: str) -> float:
    """MB a training step adds to what the model and input already hold:
    on CUDA, the allocator's peak; on CPU, the resident memory (Linux:
    resets the high-water mark through /proc/self/clear_refs first, so
    this is only meaningful in a process of its own)."""
    device = torch.device(device)
    model = build_ours(arch, with_cp=with_cp).to(device).train()
    x = torch.randn(2, 3, size, size, device=device)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
    else:
        before = _status_kb('VmRSS') * 1024
        Path('/proc/self/clear_refs').write_text('5')
    sum(o.mean() for o in model(x)).backward()
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(device)
    else:
        peak = _status_kb('VmHWM') * 1024
    return (peak - before) / 2**20


def peak_memory(arch: str, size: int, device) -> dict:
    """{with_cp: MB} of a training step, each in a fresh process. glibc
    keeps large freed blocks in its heap unless they were mmapped, which
    would make the resident peak measure the allocator; a fixed mmap
    threshold makes it follow the memory the step holds."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
    result = {}
    for with_cp in (False, True):
        out = subprocess.run([
            sys.executable, '-m', __name__, arch,
            str(with_cp), str(size), str(device)
        ], capture_output=True, text=True, check=True, env=env).stdout
        result[with_cp] = json.loads(out.strip().splitlines()[-1])['peak_mb']
    return result


if __name__ == '__main__':
    arch, with_cp, size, device = sys.argv[1:]
    print(json.dumps(dict(peak_mb=measure_step(
        arch, with_cp == 'True', int(size), device))))
