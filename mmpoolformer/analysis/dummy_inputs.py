"""A config's model on random images, as its dataloader would feed it."""
import importlib
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import load_checkpoint

# Image sizes (height, width) the libraries usually report speed and FLOPs at.
DEFAULT_SHAPES = {
    'mmdet': (800, 1280),
    'mmseg': (512, 512),
    'mmpretrain': (224, 224)
}
# The data sample each library's models take, as (module, class).
DATA_SAMPLES = {
    'mmdet': ('mmdet.structures', 'DetDataSample'),
    'mmseg': ('mmseg.structures', 'SegDataSample'),
    'mmpretrain': ('mmpretrain.structures', 'DataSample'),
}


def build_model(cfg,
                checkpoint: Optional[str] = None,
                device: str = 'cpu') -> nn.Module:
    """Builds ``cfg.model`` in the config's scope, in eval mode.

    Args:
        cfg (Config): The config.
        checkpoint (str, optional): Weights to load (local path or URL);
            without one the model keeps ``init_cfg`` unapplied (random).
            Defaults to None.
        device (str): Defaults to 'cpu'.

    Returns:
        torch.nn.Module: The model.
    """
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()


def dummy_batch(scope: str,
                shape: Tuple[int, int],
                batch_size: int = 1) -> dict:
    """A batch as the scope's dataloaders pack it: random uint8 images and
    data samples carrying the image shape.

    Args:
        scope (str): A key of :data:`DATA_SAMPLES`.
        shape (tuple[int, int]): Image (height, width).
        batch_size (int): Defaults to 1.

    Returns:
        dict: ``inputs`` and ``data_samples`` for ``model.test_step``.
    """
    module, name = DATA_SAMPLES[scope]
    sample_cls = getattr(importlib.import_module(module), name)
    height, width = shape
    meta = dict(
        img_shape=(height, width),
        ori_shape=(height, width),
        scale_factor=(1., 1.))
    return dict(
        inputs=[
            torch.randint(0, 256, (3, height, width), dtype=torch.uint8)
            for _ in range(batch_size)
        ],
        data_samples=[sample_cls(metainfo=meta) for _ in range(batch_size)])


def timed_model(cfg,
                shape: Tuple[int, int],
                batch_size: int = 1,
                device: str = 'cpu',
                fuse: Optional[bool] = None,
                checkpoint: Optional[str] = None) -> Tuple[nn.Module, dict]:
    """The model of ``cfg`` as it is timed (fast or not as ``fuse`` says:
    :func:`~mmpoolformer.engine.choose_fast_inference`), and a batch of
    random images, the same ones for every call.

    Args:
        cfg (Config): The config.
        shape (tuple[int, int]): Image (height, width).
        batch_size (int): Defaults to 1.
        device (str): Defaults to 'cpu'.
        fuse (bool, optional): Defaults to None: fused on CPU.
        checkpoint (str, optional): Weights to load. Defaults to None.
    """
    from ..engine import (build_config_model, choose_fast_inference,
                          fuse_backbones)
    fast = choose_fast_inference(cfg, fuse, device)
    model = build_config_model(cfg, checkpoint, device)
    if fast:
        print(fuse_backbones(model))
    torch.manual_seed(0)
    return model, dummy_batch(cfg.default_scope, shape, batch_size)
