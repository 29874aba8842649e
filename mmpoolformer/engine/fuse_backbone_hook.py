"""Fusing PoolFormer backbones for inference."""
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmpoolformer.models.backbones import MetaFormer
from mmpoolformer.registry import HOOKS


def fuse_backbones(model: nn.Module) -> str:
    """Calls ``fuse()`` on every PoolFormer and MetaFormer Baselines
    backbone (PoolFormerV2, ConvFormer, CAFormer) in ``model`` not fused
    yet.

    Returns:
        str: What was fused, for the log: the blocks of the backbones,
        each with what folds in it folded.
    """
    backbones = [
        module for module in model.modules()
        if isinstance(module, MetaFormer) and not module.fused
    ]
    for backbone in backbones:
        backbone.fuse()
    blocks = sum(len(stage) for backbone in backbones
                 for stage in backbone.stages)
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
