"""Timing work that may run asynchronously."""
import sys
import time
from typing import Union

import torch
from mmengine.utils import ProgressBar


def synchronize(device: Union[str, torch.device]) -> None:
    """Waits for the device's queued work (CUDA runs asynchronously), so
    that a timer stopped after it measures the work.

    Args:
        device (str | torch.device): Where the work runs.
    """
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def measure_throughput(model,
                       batch: dict,
                       iters: int = 20,
                       warmup: int = 5) -> float:
    """Images per second of ``model.test_step(batch)``: data preprocessing
    and post-processing included, the ``warmup`` first iterations not
    timed. A progress bar on stderr counts the iterations.

    Args:
        model (BaseModel): A detector, segmentor or classifier.
        batch (dict): Its input, e.g. from
            :func:`mmpoolformer.analysis.dummy_batch`.
        iters (int): Timed iterations. Defaults to 20.
        warmup (int): Untimed iterations first. Defaults to 5.

    Returns:
        float: Images per second over the timed iterations.
    """
    device = next(model.parameters()).device
    progress = ProgressBar(warmup + iters, file=sys.stderr)
    with torch.no_grad():
        for _ in range(warmup):
            model.test_step(batch)
            progress.update()
        synchronize(device)
        start = time.perf_counter()
        for _ in range(iters):
            model.test_step(batch)
            progress.update()
        synchronize(device)
        elapsed = time.perf_counter() - start
    print(file=sys.stderr)
    return iters * len(batch['inputs']) / elapsed
