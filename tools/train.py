"""Train a detector, segmentor or classifier from an mmdet, mmseg or
mmpretrain config (the config's ``default_scope`` decides which)."""
from mmpoolformer.apis import prepare_training, run_training
from mmpoolformer.engine.command_line import (ArgumentParser,
                                              add_config_args,
                                              add_launcher_args,
                                              local_rank_env, reports_errors)
from mmpoolformer.engine.denormals import flush_denormals


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
    # order of magnitude slower to compute with, on every thread.
    flush_denormals()
    cfg = prepare_training(args.config, args.work_dir, args.resume, args.amp,
                           args.auto_scale_lr, args.cfg_options)
    if args.dry_run:
        print(f'{args.config}: ready to train')
        return
    run_training(cfg, args.launcher)


if __name__ == '__main__':
    main()
