"""Draw the results of a detector's run, as ``make demo`` does after testing:
an overview of the first test images with their true boxes and the
predictions that ``tools/test.py --out`` dumped (``overview.png``), and the
training curve of the latest training in the work dir, losses and
validation metric by iteration (``training_curve.png``)."""
import argparse
import os
import os.path as osp

from _cli import (ArgumentParser, CLIError, add_config_args, load_config,
                  reports_errors, set_work_dir)

from mmpoolformer.datasets import check_dataset_folders
from mmpoolformer.visualization import (draw_detection_overview,
                                        draw_training_curve,
                                        latest_scalars_file, load_detections)


def positive(text):
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'{text} is not a positive integer')
    return value


def parse_args():
    parser = ArgumentParser(description=__doc__)
    add_config_args(parser)
    parser.add_argument(
        'predictions',
        help="the .pkl that tools/test.py --out wrote for the config's test "
        'set')
    parser.add_argument(
        '--work-dir',
        help="the training's work dir, whose latest "
        '<timestamp>/vis_data/scalars.json gives the training curve; '
        'defaults as in tools/train.py')
    parser.add_argument(
        '--out-dir', help='where to write the pictures; defaults to '
        'WORK_DIR/pictures')
    parser.add_argument(
        '--num-images',
        type=positive,
        default=12,
        help='test images in the overview, the first ones')
    parser.add_argument(
        '--columns', type=positive, default=4, help='images per row')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='draw the predicted boxes scoring at least this')
    parser.add_argument(
        '--metric',
        default='coco/bbox_mAP',
        help='the validation metric of the training curve')
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    if cfg.default_scope != 'mmdet':
        raise CLIError(f'{args.config}: draws detections, from mmdet '
                       f'configs; its default_scope is {cfg.default_scope}')
    if not osp.isfile(args.predictions):
        raise CLIError(f'predictions not found: {args.predictions}')
    set_work_dir(cfg, args.work_dir, args.config)
    check_dataset_folders({'test_dataloader': cfg.get('test_dataloader')},
                          cfg.default_scope)
    samples, class_names = load_detections(
        args.predictions, cfg.test_dataloader.dataset, args.num_images)
    out_dir = args.out_dir or osp.join(cfg.work_dir, 'pictures')
    os.makedirs(out_dir, exist_ok=True)

    overview = osp.join(out_dir, 'overview.png')
    draw_detection_overview(samples, class_names, overview, args.score_thr,
                            args.columns)
    print(f'overview: {overview}')
    scalars = latest_scalars_file(cfg.work_dir)
    if scalars is None:
        print('training curve: none, no training log '
              f'(<timestamp>/vis_data/scalars.json) in {cfg.work_dir}')
        return
    curve = osp.join(out_dir, 'training_curve.png')
    draw_training_curve(scalars, curve, args.metric)
    print(f'training curve: {curve} (from {scalars})')


if __name__ == '__main__':
    main()
