"""Fusing PoolFormer backbones for inference."""
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmpoolformer.models import PoolFormer
from mmpoolformer.models.backbones.metaformer_baselines import \
    MetaFormerBaseline
from mmpoolformer.models.layers import BaselineBlock, FusedPoolFormerBlock
from mmpoolformer.registry import HOOKS


def fuse_backbones(model: nn.Module) -> str:
    """Calls ``fuse()`` on every PoolFormer and MetaFormer Baselines
    backbone (PoolFormerV2, ConvFormer, CAFormer) in ``model`` not fused
    yet.

    Returns:
        str: What was fused, for the log: PoolFormer's fused pooling
        blocks, and every block of a MetaFormer Baselines backbone (each
        with what folds in it folded).
    """
    backbones = [
        module for module in model.modules()
        if isinstance(module, (PoolFormer, MetaFormerBaseline))
        and not module.fused
    ]
    for backbone in backbones:
        backbone.fuse()
    blocks = sum(
        isinstance(block, (FusedPoolFormerBlock, BaselineBlock))
        for backbone in backbones for block in backbone.modules())
    kinds = '/'.join(sorted({type(b).__name__ for b in backbones}))
    return (f'fused {blocks} blocks in {len(backbones)} '
            f'{kinds or "PoolFormer"} backbone(s)')


@HOOKS.register_module()
class FuseBackboneHook(Hook):
    """Fuses the model's PoolFormer and MetaFormer Baselines backbones
    (:func:`fuse_backbones`) before testing, after the checkpoint is
    loaded: the same outputs (to float rounding), fewer passes over memory.
    ``tools/test.py --fuse`` adds it.

    A fused backbone is inference-only, so the hook serves test runs, not
    validation during training.
    """

    def before_test(self, runner) -> None:
        print_log(f'FuseBackboneHook: {fuse_backbones(runner.model)}',
                  logger='current')
