"""Measure the inference speed (images/s) of the model of a config on random
images of a fixed size, data preprocessing and post-processing included,
data loading excluded, or with ``--train`` the speed of its training step;
with ``--compare``, of two models side by side and their ratio. A progress
bar on stderr counts the iterations."""
import torch

from mmpoolformer.analysis import (compare_throughput, timed_model,
                                   timed_training)
from mmpoolformer.engine import UsageError, load_config
from mmpoolformer.engine.command_line import (ArgumentParser, OptionsAction,
                                              add_config_args, add_fuse_arg,
                                              add_shape_arg, image_shape,
                                              reports_errors)


def parse_args():
    parser = ArgumentParser(description=__doc__)
    add_config_args(parser)
    parser.add_argument(
        '--compare',
        metavar='CONFIG',
        help='time the model of this config too, interleaved with the first '
        'on images of the same size, and print the ratio (--checkpoint and '
        '--cfg-options apply to the first)')
    parser.add_argument(
        '--compare-cfg-options',
        nargs='+',
        action=OptionsAction,
        help='override settings of the --compare config, as --cfg-options')
    parser.add_argument(
        '--checkpoint',
        help='weights to load (file or URL); defaults to random weights')
    add_shape_arg(parser)
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument(
        '--iters', type=int, default=20, help='timed iterations')
    parser.add_argument(
        '--warmup', type=int, default=5, help='untimed iterations first')
    parser.add_argument(
        '--train',
        action='store_true',
        help="time a training step instead (losses on random ground truth, "
        "backward and the config's optimizer), the model as built")
    add_fuse_arg(parser)
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='defaults to cuda when available, else cpu')
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    configs = [args.config] + ([args.compare] if args.compare else [])
    cfgs = [load_config(configs[0], args.cfg_options)] + [
        load_config(config, args.compare_cfg_options)
        for config in configs[1:]]
    if args.train and args.fuse:
        raise UsageError('--fuse is for inference: --train times the model '
                         'as built')
    timed = []
    for i, cfg in enumerate(cfgs):
        shape = image_shape(args.shape, cfg.default_scope)
        checkpoint = args.checkpoint if i == 0 else None
        timed.append(
            timed_training(cfg, shape, args.batch_size, args.device,
                           checkpoint) if args.train else
            timed_model(cfg, shape, args.batch_size, args.device, args.fuse,
                        checkpoint))
    # With --train, the optimizer wrappers come third.
    models, batches, *optim_wrappers = zip(*timed)
    speeds = compare_throughput(models, batches, args.iters, args.warmup,
                                *optim_wrappers)
    height, width = batches[0]['inputs'][0].shape[-2:]
    step = 'training steps' if args.train else 'iterations'
    for config, speed in zip(configs, speeds):
        print(f'{config}: {speed:.3f} images/s ({height}x{width}, batch '
              f'{args.batch_size}, {args.device}, {args.iters} {step} '
              f'after {args.warmup} warm-up)')
    if args.compare:
        print(f'{configs[0]} / {configs[1]}: {speeds[0] / speeds[1]:.2f}x')


if __name__ == '__main__':
    main()
