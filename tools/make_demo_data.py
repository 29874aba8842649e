"""Generate the synthetic shapes dataset of the demo
(:mod:`mmpoolformer.datasets.demo_shapes`).

Example:
    python tools/make_demo_data.py --out data/demo
"""
import os.path as osp

from mmpoolformer.datasets.demo_shapes import CLS_IMAGES_PER_IMAGE, generate
from mmpoolformer.engine import UsageError
from mmpoolformer.engine.command_line import ArgumentParser, reports_errors


def parse_args():
    parser = ArgumentParser(
        description='Generate the synthetic shapes dataset of the demo')
    parser.add_argument('--out', default='data/demo', help='output directory')
    parser.add_argument(
        '--num-train', type=int, default=500,
        help='training images (classification: '
        f'{CLS_IMAGES_PER_IMAGE} times as many)')
    parser.add_argument(
        '--num-val', type=int, default=100,
        help='validation images (classification: as --num-train)')
    parser.add_argument(
        '--img-size', type=int, default=128, help='image side in pixels')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    try:
        summary = generate(args.out, args.num_train, args.num_val,
                           args.img_size, args.seed)
    except FileExistsError as error:
        raise UsageError(error) from None
    for split, count in summary.items():
        print(f'{split}: {count["images"]} images, {count["instances"]} '
              f'shapes in {osp.join(args.out, "images", split)}')
    print(f'COCO annotations: {osp.join(args.out, "annotations")}, label '
          f'maps: {osp.join(args.out, "ann_dir")}, classification images '
          f'({CLS_IMAGES_PER_IMAGE} times as many): '
          f'{osp.join(args.out, "cls")}')


if __name__ == '__main__':
    main()
