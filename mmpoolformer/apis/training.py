"""Training from a config, as ``tools/train.py`` does: every check first
(config, overrides, checkpoint, dataset folders, the model), then mmengine's
Runner."""
import logging
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

from ..datasets import check_dataset_folders
from ..engine import (UsageError, add_custom_hook, build_config_model,
                      build_runner, check_checkpoint, end_process_group,
                      load_config, set_work_dir)


def prepare_training(config: str,
                     work_dir: Optional[str] = None,
                     resume: Optional[str] = None,
                     amp: bool = False,
                     auto_scale_lr: bool = False,
                     cfg_options: Optional[dict] = None) -> Config:
    """The config of a training, checked: it builds its model and finds its
    dataset folders and checkpoint, or says what is wrong, before anything
    is written.

    Args:
        config (str): An mmdet, mmseg or mmpretrain config file.
        work_dir (str, optional): Where logs and checkpoints go. Defaults to
            None: the config's own, else ``./work_dirs/<config name>``.
        resume (str, optional): A checkpoint to resume from, or ``'auto'``
            for the latest one in the work dir. Defaults to None.
        amp (bool): Automatic mixed precision: fp16 with dynamic loss
            scaling on CUDA, bf16 autocast on CPU
            (:class:`~mmpoolformer.engine.CPUAutocastOptimWrapper`).
            Defaults to False.
        auto_scale_lr (bool): Scale the learning rate by the actual batch
            size over the config's ``auto_scale_lr.base_batch_size``.
            Defaults to False.
        cfg_options (dict, optional): Checked overrides (see
            :func:`~mmpoolformer.engine.config_loading.load_config`).
            Defaults to None.

    Returns:
        Config: The config to give :func:`run_training`. It reseeds the random
        generators at every iteration
        (:class:`~mmpoolformer.engine.IterationSeedHook`), so that a resumed
        training draws what an uninterrupted one would.

    Raises:
        UsageError, CheckpointError, DataError: what the user asked for
            cannot be trained.
    """
    cfg = load_config(config, cfg_options)
    set_work_dir(cfg, work_dir, config)
    if amp:
        _enable_amp(cfg)
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise UsageError(f'{config} has no auto_scale_lr.'
                             'base_batch_size to scale the learning rate by')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest is not None:
            check_checkpoint(latest)
    elif resume is not None:
        check_checkpoint(resume)
        cfg.resume, cfg.load_from = True, resume
    add_custom_hook(cfg, 'mmpoolformer.IterationSeedHook')

    dataloaders = ['train_dataloader']
    if cfg.get('val_cfg'):
        dataloaders.append('val_dataloader')
    check_dataset_folders({name: cfg.get(name)
                           for name in dataloaders}, cfg.default_scope)
    build_config_model(cfg)
    return cfg


def _enable_amp(cfg):
    if not torch.cuda.is_available():
        # mmengine's AmpOptimWrapper needs a GPU: bf16 autocast on the CPU.
        cfg.optim_wrapper.type = 'mmpoolformer.CPUAutocastOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
        if not cpu_has_bf16_instructions():
            print_log(
                '--amp: this CPU has no bf16 instructions (AVX512-BF16 or '
                'AMX), so bf16 autocast trains slower than float32 here, '
                'not faster (the RetinaNet demo: 14x slower on a 2-core '
                'AVX2 AMD EPYC)', 'current', logging.WARNING)
    elif cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
        print_log('AMP is already enabled in the config.', 'current')
    else:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'


def cpu_has_bf16_instructions() -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX), which
    PyTorch's fast bf16 convolution and matrix kernels need."""
    checks = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


def run_training(cfg: Config, launcher: str = 'none'):
    """Trains with mmengine's Runner (ours, :func:`build_runner`).

    Args:
        cfg (Config): From :func:`prepare_training`.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'. Defaults to
            'none'.

    Returns:
        The Runner, trained.
    """
    cfg.launcher = launcher
    runner = build_runner(cfg)
    runner.train()
    end_process_group()
    return runner
