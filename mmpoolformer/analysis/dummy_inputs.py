"""A config's model on random images, as its dataloader would feed it."""
import copy
import importlib
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, build_optim_wrapper
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
        # A copy: some models write into their config (DINO adds keys to
        # its bbox_head's, then refuses a config that has them), which
        # would keep the Runner from building it again.
        model = MODELS.build(copy.deepcopy(cfg.model))
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()


def add_targets(sample, scope: str, shape: Tuple[int, int]) -> None:
    """Gives a data sample ground truth of class 0 to train on: two boxes
    with their masks (mmdet), a label map with a rectangle (mmseg), a label
    (mmpretrain)."""
    height, width = shape
    if scope == 'mmpretrain':
        sample.set_gt_label(0)
        return
    boxes = torch.tensor([[.1, .2, .5, .6], [.55, .25, .95, .8]]) * \
        torch.tensor([width, height, width, height])
    masks = np.zeros((len(boxes), height, width), dtype=np.uint8)
    for mask, (x1, y1, x2, y2) in zip(masks, boxes.int().tolist()):
        mask[y1:y2, x1:x2] = 1
    if scope == 'mmseg':
        from mmengine.structures import PixelData
        sample.gt_sem_seg = PixelData(
            data=torch.from_numpy(masks.max(0)).long()[None])
        return
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    sample.gt_instances = InstanceData(
        bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long),
        masks=BitmapMasks(masks, height, width))


def dummy_batch(scope: str,
                shape: Tuple[int, int],
                batch_size: int = 1,
                targets: bool = False) -> dict:
    """A batch as the scope's dataloaders pack it: random uint8 images and
    data samples carrying the image shape.

    Args:
        scope (str): A key of :data:`DATA_SAMPLES`.
        shape (tuple[int, int]): Image (height, width).
        batch_size (int): Defaults to 1.
        targets (bool): Add ground truth to train on (:func:`add_targets`).
            Defaults to False.

    Returns:
        dict: ``inputs`` and ``data_samples`` for ``model.test_step`` (and
        ``model.train_step`` with ``targets``).
    """
    module, name = DATA_SAMPLES[scope]
    sample_cls = getattr(importlib.import_module(module), name)
    height, width = shape
    meta = dict(
        img_shape=(height, width),
        ori_shape=(height, width),
        scale_factor=(1., 1.))
    samples = [sample_cls(metainfo=meta) for _ in range(batch_size)]
    for sample in samples if targets else []:
        add_targets(sample, scope, shape)
    return dict(
        inputs=[
            torch.randint(0, 256, (3, height, width), dtype=torch.uint8)
            for _ in range(batch_size)
        ],
        data_samples=samples)


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


def timed_training(cfg,
                   shape: Tuple[int, int],
                   batch_size: int = 1,
                   device: str = 'cpu',
                   checkpoint: Optional[str] = None
                   ) -> Tuple[nn.Module, dict, OptimWrapper]:
    """The model of ``cfg`` as it trains (as built, in training mode), a
    batch of random images with ground truth (:func:`add_targets`), the
    same ones for every call, and the config's optimizer wrapper, for
    timing ``model.train_step``. Arguments as :func:`timed_model`'s."""
    from ..engine import build_config_model
    model = build_config_model(cfg, checkpoint, device).train()
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    torch.manual_seed(0)
    return model, dummy_batch(cfg.default_scope, shape, batch_size,
                              targets=True), optim_wrapper
