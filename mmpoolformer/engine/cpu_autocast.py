"""Mixed-precision training on CPU, which mmengine's AmpOptimWrapper
refuses."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmpoolformer.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """Runs the forward pass under CPU autocast (bf16 by default).

    bfloat16 keeps float32's exponent range, so no loss scaling is needed;
    autocast keeps norms and losses in float32. ``tools/train.py --amp``
    picks it on machines without CUDA.

    Args:
        dtype (str | torch.dtype): The lower precision. Defaults to
            'bfloat16'.
        **kwargs: The arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
