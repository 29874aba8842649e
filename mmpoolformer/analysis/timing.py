"""Timing work that may run asynchronously."""
import statistics
import sys
import time
from typing import List, Optional, Sequence, Union

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


def compare_throughput(models: Sequence,
                       batches: Sequence[dict],
                       iters: int = 20,
                       warmup: int = 5,
                       optim_wrappers: Optional[Sequence] = None
                       ) -> List[float]:
    """Images per second of each model's ``test_step`` on its batch (data
    preprocessing and post-processing included), or with
    ``optim_wrappers`` of its ``train_step`` (data preprocessing, losses,
    backward and the optimizer's step), timed side by side: each
    iteration runs every model once, in turn (the first model first in even
    iterations, last in odd ones), so that load on the machine hits them
    alike; each speed is from the median time of an iteration, the
    ``warmup`` first iterations not timed. A progress bar on stderr counts
    the runs.

    Args:
        models (Sequence[BaseModel]): Detectors, segmentors or classifiers.
        batches (Sequence[dict]): The input of each.
        iters (int): Timed iterations. Defaults to 20.
        warmup (int): Untimed iterations first. Defaults to 5.
        optim_wrappers (Sequence[OptimWrapper], optional): One for each
            model: time training steps. Defaults to None: inference.

    Returns:
        list[float]: Images per second of each model.
    """
    progress = ProgressBar((warmup + iters) * len(models), file=sys.stderr)
    times = [[] for _ in models]
    with torch.set_grad_enabled(optim_wrappers is not None):
        for i in range(warmup + iters):
            order = list(range(len(models)))[::1 if i % 2 == 0 else -1]
            for k in order:
                device = next(models[k].parameters()).device
                start = time.perf_counter()
                if optim_wrappers is None:
                    models[k].test_step(batches[k])
                else:
                    models[k].train_step(batches[k], optim_wrappers[k])
                synchronize(device)
                if i >= warmup:
                    times[k].append(time.perf_counter() - start)
                progress.update()
    print(file=sys.stderr)
    return [len(batch['inputs']) / statistics.median(seconds)
            for batch, seconds in zip(batches, times)]
