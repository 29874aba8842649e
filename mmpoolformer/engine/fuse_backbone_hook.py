"""Fusing PoolFormer backbones before testing."""
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmpoolformer.models import PoolFormer
from mmpoolformer.models.layers import FusedPoolFormerBlock
from mmpoolformer.registry import HOOKS


@HOOKS.register_module()
class FuseBackboneHook(Hook):
    """Calls :meth:`PoolFormer.fuse` on every PoolFormer in the model before
    testing, after the checkpoint is loaded: the same outputs (to float
    rounding), fewer passes over memory. ``tools/test.py --fuse`` adds it.

    A fused backbone is inference-only, so the hook serves test runs, not
    validation during training.
    """

    def before_test(self, runner) -> None:
        backbones = [
            module for module in runner.model.modules()
            if isinstance(module, PoolFormer) and not module.fused
        ]
        for backbone in backbones:
            backbone.fuse()
        blocks = sum(
            isinstance(block, FusedPoolFormerBlock)
            for backbone in backbones for block in backbone.modules())
        print_log(
            f'FuseBackboneHook: fused {blocks} blocks in {len(backbones)} '
            'PoolFormer backbone(s)', logger='current')
