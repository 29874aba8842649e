"""Evaluate a checkpoint (local file or URL) on the test set of an mmdet,
mmseg or mmpretrain config and print its metrics."""
from mmpoolformer.apis import prepare_test, run_test
from mmpoolformer.engine.command_line import (ArgumentParser,
                                              add_config_args, add_fuse_arg,
                                              add_launcher_args,
                                              local_rank_env, reports_errors)


def parse_args():
    parser = ArgumentParser(description=__doc__)
    add_config_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument('--work-dir', help='where to save the metrics')
    parser.add_argument(
        '--out',
        help='also dump the predictions to this .pkl or .pickle file; for '
        'an mmseg config, a folder path writes one PNG of class indices per '
        'test image there instead')
    parser.add_argument(
        '--show',
        action='store_true',
        help='show the predictions in a window, one image after the other '
        '(needs a display)')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds each image is shown with --show; 0 waits for the '
        'space key (default: 2)')
    parser.add_argument(
        '--show-dir', help='draw the predictions into this folder')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation with the config's tta_model and "
        "tta_pipeline; where the config has none, the library's default "
        'model (mmdet: DetTTAModel, mmseg: SegTTAModel, mmpretrain: '
        'AverageClsScoreTTA) on the test pipeline with a horizontal flip')
    add_fuse_arg(parser)
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='check the config, overrides, checkpoint and dataset folder, '
        'then exit')
    add_launcher_args(parser)
    args = parser.parse_args()
    local_rank_env(args.local_rank)
    return args


@reports_errors
def main():
    args = parse_args()
    cfg = prepare_test(args.config, args.checkpoint, args.work_dir, args.out,
                       args.show, args.wait_time, args.show_dir, args.tta,
                       args.fuse, args.cfg_options)
    if args.dry_run:
        print(f'{args.config}: ready to test {args.checkpoint}')
        return
    run_test(cfg, args.checkpoint, args.out, args.launcher)


if __name__ == '__main__':
    main()
