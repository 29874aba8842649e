"""Train a detector, segmentor or classifier from an mmdet, mmseg or
mmpretrain config (the config's ``default_scope`` decides which)."""

import torch
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

from _cli import (ArgumentParser, CLIError, add_config_args,
                  add_custom_hook, add_launcher_args, build_config_model,
                  check_checkpoint, load_config, local_rank_env,
                  reports_errors, set_work_dir)

from mmpoolformer.datasets import check_dataset_folders
from mmpoolformer.engine import build_runner, end_process_group


def parse_args():
    parser = ArgumentParser(description=__doc__)
    add_config_args(parser)
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume from this checkpoint, or without a path from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision: fp16 with loss scaling on GPU, '
        'bf16 autocast on CPU')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help="scale the learning rate by the actual batch size over the "
        "config's auto_scale_lr.base_batch_size")
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='check the config, overrides, checkpoint and dataset folders, '
        'then exit')
    add_launcher_args(parser)
    args = parser.parse_args()
    local_rank_env(args.local_rank)
    return args


@reports_errors
def main():
    args = parse_args()
    # Training from scratch on CPU produces denormal floats, which are an
    # order of magnitude slower to compute with.
    torch.set_flush_denormal(True)

    cfg = load_config(args.config, args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)

    if args.amp and not torch.cuda.is_available():
        # mmengine's AmpOptimWrapper needs a GPU: bf16 autocast on the CPU.
        cfg.optim_wrapper.type = 'mmpoolformer.CPUAutocastOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
    elif args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.', 'current')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise CLIError(f'{args.config} has no auto_scale_lr.'
                           'base_batch_size to scale the learning rate by')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest is not None:
            check_checkpoint(latest)
    elif args.resume is not None:
        check_checkpoint(args.resume)
        cfg.resume, cfg.load_from = True, args.resume

    # Reseeds the generators at every iteration so that a resumed run draws
    # the same random numbers as an uninterrupted one.
    add_custom_hook(cfg, 'mmpoolformer.IterationSeedHook')

    dataloaders = ['train_dataloader']
    if cfg.get('val_cfg'):
        dataloaders.append('val_dataloader')
    check_dataset_folders({name: cfg.get(name)
                           for name in dataloaders}, cfg.default_scope)
    # A model argument that does not build ends here, before the runner
    # writes anything to the work dir.
    build_config_model(cfg)
    if args.dry_run:
        print(f'{args.config}: ready to train')
        return
    cfg.launcher = args.launcher

    runner = build_runner(cfg)
    runner.train()
    end_process_group()


if __name__ == '__main__':
    main()
