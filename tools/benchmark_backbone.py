"""Time our backbones against mmpretrain's and timm's with identical weights
(see :mod:`mmpoolformer.analysis.backbone_benchmark`), and the peak memory of
a training step with and without gradient checkpointing; writes a Markdown
table and a PNG plot.

Example::

    python tools/benchmark_backbone.py --archs s12 m36 --repeats 7
    python tools/benchmark_backbone.py --archs convformer_s18 caformer_s18 \
        --modes 'infer 224 b1'
    python tools/benchmark_backbone.py --device cuda
"""
from pathlib import Path

import torch

from mmpoolformer.analysis.backbone_benchmark import (ARCHS, DEFAULT_MODES,
                                                      MODES)
from mmpoolformer.analysis.benchmark_report import run_benchmark
from mmpoolformer.engine.command_line import (ArgumentParser, positive,
                                              reports_errors)
from mmpoolformer.models.backbones.metaformer import MIN_IMG_SIZE


def parse_args():
    parser = ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--archs', nargs='+', default=['s12'],
                        choices=ARCHS, metavar='ARCH',
                        help=f'one or more of {", ".join(ARCHS)}')
    parser.add_argument('--modes', nargs='*', default=list(DEFAULT_MODES),
                        choices=list(MODES),
                        help='timed modes; none measures only memory')
    parser.add_argument('--repeats', type=positive, default=7)
    parser.add_argument('--device', default='cpu',
                        help="where to run: 'cpu' or a CUDA device "
                        "('cuda', 'cuda:1')")
    parser.add_argument('--threads', type=positive, default=None,
                        help='torch threads (default: torch\'s choice)')
    parser.add_argument('--memory-size', type=int, default=512,
                        help='image size of the peak-memory training step, '
                        f'at least {MIN_IMG_SIZE}; 0 skips it')
    parser.add_argument('--out-dir', default='work_dirs/benchmark_backbone')
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out_dir = Path(args.out_dir)
    print(run_benchmark(args.archs, args.modes, args.repeats, args.device,
                        args.memory_size, out_dir))
    print(f'report: {out_dir / "benchmark.md"}' +
          (f', plot: {out_dir / "throughput.png"}' if args.modes else ''))


if __name__ == '__main__':
    main()
