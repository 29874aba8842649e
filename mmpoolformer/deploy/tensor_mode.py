"""Whole models as functions of the images alone, for tracers."""
from typing import Optional

import torch
import torch.nn as nn


class TensorMode(nn.Module):
    """Runs a detector, segmentor or classifier in ``tensor`` mode (images
    to raw outputs, no post-processing) on fixed data samples, so that a
    tracer (ONNX export, FLOP counting) sees the images as the only input.

    Args:
        model (nn.Module): An mmengine ``BaseModel``.
        data_samples (list, optional): What every call passes with the
            images; detectors need them, segmentors and classifiers do
            without. Defaults to None.
    """

    def __init__(self, model: nn.Module,
                 data_samples: Optional[list] = None) -> None:
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, inputs: torch.Tensor):
        return self.model(inputs, self.data_samples, mode='tensor')
