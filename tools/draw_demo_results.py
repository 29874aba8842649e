"""Draw the results of a detector's run, as ``make demo`` does after testing:
an overview of the first test images with their true boxes and the
predictions that ``tools/test.py --out`` dumped, and the training curve of
the latest training in the work dir
(:func:`mmpoolformer.visualization.draw_run_pictures`)."""
from mmpoolformer.engine import load_config, set_work_dir
from mmpoolformer.engine.command_line import (ArgumentParser,
                                              add_config_args, positive,
                                              reports_errors)
from mmpoolformer.visualization import draw_run_pictures


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
    set_work_dir(cfg, args.work_dir, args.config)
    overview, curve, scalars = draw_run_pictures(
        cfg, args.predictions, args.out_dir, args.num_images, args.columns,
        args.score_thr, args.metric)
    print(f'overview: {overview}')
    if curve is None:
        print('training curve: none, no training log '
              f'(<timestamp>/vis_data/scalars.json) in {cfg.work_dir}')
    else:
        print(f'training curve: {curve} (from {scalars})')


if __name__ == '__main__':
    main()
