"""Measure the inference speed (images/s) of the model of a config on random
images of a fixed size, data preprocessing and post-processing included,
data loading excluded. A progress bar on stderr counts the iterations."""
import torch

from mmpoolformer.analysis import dummy_batch, measure_throughput
from mmpoolformer.engine import build_config_model, fuse_backbones, load_config
from mmpoolformer.engine.command_line import (ArgumentParser,
                                              add_config_args, add_shape_arg,
                                              image_shape, reports_errors)


def parse_args():
    parser = ArgumentParser(description=__doc__)
    add_config_args(parser)
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
        '--fuse',
        action='store_true',
        help='time the model with its PoolFormer backbone fused, as '
        'tools/test.py --fuse tests it')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='defaults to cuda when available, else cpu')
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    shape = image_shape(args.shape, cfg.default_scope)
    model = build_config_model(cfg, args.checkpoint, args.device)
    if args.fuse:
        print(fuse_backbones(model))
    batch = dummy_batch(cfg.default_scope, shape, args.batch_size)
    speed = measure_throughput(model, batch, args.iters, args.warmup)
    print(f'{args.config}: {speed:.2f} images/s '
          f'({shape[0]}x{shape[1]}, batch {args.batch_size}, {args.device}, '
          f'{args.iters} iterations after {args.warmup} warm-up)')


if __name__ == '__main__':
    main()
