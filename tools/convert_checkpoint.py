"""Convert a PoolFormer checkpoint to the names our configs' models have.

Reads bare backbone and classifier checkpoints (the official sail-sg ImageNet
``.pth.tar`` of PoolFormer and of the MetaFormer hybrids, timm) and whole
models in timm's or mmpoolformer 0.1's ``stages.*`` layout; whole models with
the official names (mmdet 2.x / mmseg 0.x / mmseg 1.x releases, mmpretrain)
pass through unchanged. The result loads with ``load_from``, ``tools/test.py``
or a backbone's ``init_cfg``.
"""

from mmpoolformer.checkpoint import convert_checkpoint_file
from mmpoolformer.engine.command_line import ArgumentParser, reports_errors


def parse_args():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument('src', help='checkpoint to convert (file or URL)')
    parser.add_argument('dst', help='where to save the converted checkpoint')
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    count = convert_checkpoint_file(args.src, args.dst)
    print(f'saved {count} tensors to {args.dst}')


if __name__ == '__main__':
    main()
