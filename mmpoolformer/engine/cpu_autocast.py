"""Mixed-precision training on CPU, which mmengine's AmpOptimWrapper
refuses."""
import functools
from contextlib import contextmanager
from typing import Any, Callable, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmpoolformer.registry import OPTIM_WRAPPERS

# mmcv's RoI layers, which have no bfloat16 CPU kernel, by class name.
FLOAT32_ONLY = frozenset({'RoIAlign', 'RoIPool'})


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """Runs the forward pass under CPU autocast (bf16 by default).

    bfloat16 keeps float32's exponent range, so it needs no loss scaling;
    with ``dtype='float16'`` the loss is scaled dynamically, as mmengine's
    AmpOptimWrapper does on GPUs, which makes this a way to check fp16
    training numerics on a machine without one. CPU autocast keeps the
    losses in float32 (unlike CUDA's, not the norms; PoolFormer's norms see
    its float32 residual stream). ``tools/train.py --amp`` picks it (bf16)
    on machines without CUDA.

    Args:
        dtype (str | torch.dtype): The lower precision, 'bfloat16' or
            'float16'. Defaults to 'bfloat16'.
        **kwargs: The arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype
        if self.cast_dtype not in (torch.bfloat16, torch.float16):
            raise ValueError('CPUAutocastOptimWrapper: dtype must be '
                             f"'bfloat16' or 'float16', not {dtype!r}")
        self.loss_scaler = torch.amp.GradScaler('cpu') \
            if self.cast_dtype == torch.float16 else None

    @contextmanager
    def optim_context(self, model: nn.Module):
        run_float32_only_ops_in_float32(model)
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is None:
            return super().backward(loss, **kwargs)
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Steps; with loss scaling, unscales the gradients first (before
        clipping) and skips the step when they are not finite."""
        if self.loss_scaler is None:
            return super().step(**kwargs)
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()

    def state_dict(self) -> dict:
        state_dict = super().state_dict()
        if self.loss_scaler is not None:
            state_dict['loss_scaler'] = self.loss_scaler.state_dict()
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        loss_scaler = state_dict.pop('loss_scaler', None)
        if loss_scaler is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(loss_scaler)
        super().load_state_dict(state_dict)


def _to_float32(value: Any) -> Any:
    """Floating-point tensors as float32, also inside lists and tuples."""
    if torch.is_tensor(value) and value.is_floating_point():
        return value.float()
    if type(value) in (list, tuple):
        return type(value)(_to_float32(item) for item in value)
    return value


def _cast_inputs(module: nn.Module, args: tuple) -> tuple:
    return _to_float32(args)


def _in_float32(method: Callable) -> Callable:
    """``method`` with float32 arguments and autocast off."""

    @functools.wraps(method)
    def run(*args, **kwargs):
        with torch.autocast(device_type='cpu', enabled=False):
            return method(*_to_float32(args),
                          **{key: _to_float32(value)
                             for key, value in kwargs.items()})

    return run


def run_float32_only_ops_in_float32(model: nn.Module) -> None:
    """Keeps mmcv's compiled CPU ops, which have no bfloat16 kernels, in
    float32.

    Autocast only knows PyTorch's own operators: mmcv's RoIAlign and NMS
    would see bfloat16 tensors and fail. mmdet's RoI extractors (modules
    with ``roi_layers``, which also allocate their output like their input)
    and the RoI layers in :data:`FLOAT32_ONLY` get their inputs cast back by
    a forward pre-hook;
    the proposal post-processing of dense heads (``predict_by_feat``, which
    ends in NMS; two-stage detectors run it while training) runs in float32
    with autocast off. The layers after them run in bfloat16 again. Safe to
    call repeatedly.
    """
    for module in model.modules():
        if getattr(module, '_mmpoolformer_float32', False):
            continue
        cls = type(module)
        if hasattr(module, 'roi_layers') or (
                cls.__module__.startswith('mmcv.ops')
                and cls.__name__ in FLOAT32_ONLY):
            module.register_forward_pre_hook(_cast_inputs)
        elif callable(getattr(module, 'predict_by_feat', None)):
            module.predict_by_feat = _in_float32(module.predict_by_feat)
        else:
            continue
        module._mmpoolformer_float32 = True
