"""Count the parameters and MACs of the whole model of a config (detector,
segmentor or classifier) for one image of a given size.

``MACs`` counts what the PoolFormer paper counts with fvcore: convolutions,
linear layers and attention products; ``MACs (full)`` adds norms, pooling and
element-wise work (see mmpoolformer.analysis).
"""

import torch

from mmpoolformer.analysis import count_complexity, dummy_batch
from mmpoolformer.deploy import TensorMode
from mmpoolformer.engine import build_config_model, load_config
from mmpoolformer.engine.command_line import (ArgumentParser,
                                              add_config_args, add_shape_arg,
                                              image_shape, reports_errors)


def parse_args():
    parser = ArgumentParser(description=__doc__)
    add_config_args(parser)
    add_shape_arg(parser)
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    shape = image_shape(args.shape, cfg.default_scope)
    model = build_config_model(cfg)
    with torch.no_grad():
        data = model.data_preprocessor(dummy_batch(cfg.default_scope, shape))
        counts = count_complexity(
            TensorMode(model, data['data_samples']).eval(),
            (data['inputs'], ))
    height, width = data['inputs'].shape[-2:]
    print(f'{args.config}\n'
          f'  input shape: {height}x{width} (3 channels)\n'
          f'  params: {counts["params"] / 1e6:.2f}M\n'
          f'  MACs: {counts["macs"] / 1e9:.2f}G (convolutions, linear layers '
          f'and attention, as the paper counts)\n'
          f'  MACs (full): {counts["macs_full"] / 1e9:.2f}G (with norms, '
          f'pooling and element-wise ops)')


if __name__ == '__main__':
    main()
