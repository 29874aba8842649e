"""Timing work that may run asynchronously."""
from typing import Union

import torch


def synchronize(device: Union[str, torch.device]) -> None:
    """Waits for the device's queued work (CUDA runs asynchronously), so
    that a timer stopped after it measures the work.

    Args:
        device (str | torch.device): Where the work runs.
    """
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
