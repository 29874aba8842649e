"""Fusing PoolFormer backbones for inference."""
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmpoolformer.models import PoolFormer
from mmpoolformer.models.layers import FusedPoolFormerBlock
from mmpoolformer.registry import HOOKS


def fuse_backbones(model: nn.Module) -> str:
    """Calls :meth:`PoolFormer.fuse` on every PoolFormer in ``model`` not
    fused yet.

    Returns:
        str: What was fused, for the log.
    """
    backbones = [
        module for module in model.modules()
        if isinstance(module, PoolFormer) and not module.fused
    ]
    for backbone in backbones:
        backbone.fuse()
    blocks = sum(
        isinstance(block, FusedPoolFormerBlock) for backbone in backbones
        for block in backbone.modules())
    return f'fused {blocks} blocks in {len(backbones)} PoolFormer backbone(s)'


@HOOKS.register_module()
class FuseBackboneHook(Hook):
    """Fuses the model's PoolFormer backbones before testing, after the
    checkpoint is loaded: the same outputs (to float rounding), fewer passes
    over memory. ``tools/test.py --fuse`` adds it.

    A fused backbone is inference-only, so the hook serves test runs, not
    validation during training.
    """

    def before_test(self, runner) -> None:
        print_log(f'FuseBackboneHook: {fuse_backbones(runner.model)}',
                  logger='current')
