"""Export the backbone of a config (or, with --whole, the whole segmentor or
classifier) to ONNX and check it against PyTorch in onnxruntime.

Prints the max abs difference; exits with status 1 when it is above
--tolerance (1e-3).
"""
import argparse
import os.path as osp

import torch

from mmpoolformer.analysis import build_model
from mmpoolformer.deploy import TensorMode, check_onnx, export_onnx
from mmpoolformer.engine import (UsageError, check_checkpoint, fuse_backbones,
                                 load_config)
from mmpoolformer.engine.command_line import (add_config_args, add_shape_arg,
                                              image_shape, reports_errors)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    add_config_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument('--out', help='ONNX file (default: next to the '
                        'checkpoint, named after the config)')
    parser.add_argument('--whole', action='store_true',
                        help='export the whole segmentor or classifier '
                        '(static shape) instead of the backbone')
    parser.add_argument('--fuse', action='store_true',
                        help='fold norms and layer scales (PoolFormer.fuse) '
                        'before exporting')
    parser.add_argument('--tolerance', type=float, default=1e-3)
    add_shape_arg(parser)
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    check_checkpoint(args.checkpoint)
    model = build_model(cfg, args.checkpoint)
    if args.fuse:
        print(fuse_backbones(model))
    height, width = image_shape(args.shape, cfg.default_scope)
    inputs = torch.randn(1, 3, height, width)
    if args.whole:
        if cfg.default_scope == 'mmdet':
            raise UsageError('--whole exports segmentors and classifiers; '
                           'export a detector\'s backbone without it')
        module, names = TensorMode(model).eval(), ['output']
    else:
        module = model.backbone
        names = [f'out{i}' for i in module.out_indices]
    name = osp.splitext(osp.basename(args.config))[0]
    out = args.out or osp.join(
        osp.dirname(args.checkpoint) if osp.exists(args.checkpoint) else '.',
        f'{name}{"" if args.whole else "_backbone"}.onnx')
    export_onnx(module, inputs, out, names, dynamic=not args.whole)
    diff, ops = check_onnx(out, module, inputs)
    print(f'exported {out} ({", ".join(ops)})\n'
          f'onnxruntime vs PyTorch at {height}x{width}: max abs diff '
          f'{diff:.2e} (tolerance {args.tolerance:.0e})')
    if not diff <= args.tolerance:
        raise UsageError(f'{out} differs from PyTorch by {diff:.2e}, above '
                       f'{args.tolerance:.0e}')


if __name__ == '__main__':
    main()
