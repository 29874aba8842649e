"""The fast inference path, taken by default where it is measured to pay:
our backbones in the channels-last memory format and fused
(:meth:`~mmpoolformer.models.backbones.MetaFormer.fuse`). Both give the
plain model's outputs to float rounding (``tests/test_fast_paths.py``; the
demo detector's predictions: ``tests/test_tools.py``); on CPU they made
PoolFormer-S12 infer 1.4-1.7x faster (docs/performance.md). On CUDA they are
not measured yet (``tools/gpu_check.py`` measures them), so there the
default is the model as it is built."""
from typing import Any, List, Optional

import torch
from mmengine.logging import print_log

from ..models.backbones import MetaFormer
from ..registry import MODELS


def _is_ours(model_type: Any) -> bool:
    """Whether a config's ``type`` names one of our backbones (in our
    registry, ``mmpoolformer.X``, or the class itself)."""
    if isinstance(model_type, str):
        scope, _, name = model_type.rpartition('.')
        model_type = MODELS.get(name) if scope == 'mmpoolformer' else None
    return isinstance(model_type, type) and issubclass(model_type, MetaFormer)


def our_backbone_cfgs(node: Any) -> List[dict]:
    """The configs of our backbones anywhere in a model config."""
    if isinstance(node, dict):
        found = [node] if _is_ours(node.get('type')) else []
        return found + [cfg for value in node.values()
                        for cfg in our_backbone_cfgs(value)]
    if isinstance(node, (list, tuple)):
        return [cfg for value in node for cfg in our_backbone_cfgs(value)]
    return []


def runs_on_cpu(device: Optional[str]) -> bool:
    """Whether inference on ``device`` runs on the CPU; None stands for
    what mmengine and the Inferencers pick, a GPU where there is one."""
    if device is None:
        return not torch.cuda.is_available()
    return torch.device(device).type == 'cpu'


def choose_fast_inference(cfg, fuse: Optional[bool],
                          device: Optional[str] = None) -> bool:
    """Whether the model of ``cfg`` takes the fast path; where it does, its
    backbones' configs get ``channels_last=True``. The choice is logged.

    Args:
        cfg (Config): The config, changed in place.
        fuse (bool, optional): What the user asked (``--fuse`` /
            ``--no-fuse``), or None for the default: the fast path on CPU.
        device (str, optional): Where inference runs. Defaults to None:
            what mmengine picks.

    Returns:
        bool: Whether to fuse the backbones once their weights are loaded
        (:func:`~mmpoolformer.engine.fuse_backbones`).
    """
    backbones = our_backbone_cfgs(cfg.get('model'))
    if not backbones:
        return False
    cpu = runs_on_cpu(device)
    fast = cpu if fuse is None else fuse
    for backbone in backbones if fast else []:
        backbone['channels_last'] = True
    why = ('as asked' if fuse is not None else
           'the default on CPU; --no-fuse keeps the model as built' if cpu
           else 'the default on CUDA, where it is not measured yet; --fuse '
           'takes it')
    print_log('fast inference: backbone '
              f'{"channels-last and fused" if fast else "as built"} ({why})',
              logger='current')
    return fast
