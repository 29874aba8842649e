"""Evaluate a checkpoint (local file or URL) on the test set of an mmdet,
mmseg or mmpretrain config and print its metrics."""

from mmengine.config import ConfigDict
from mmengine.evaluator import DumpResults

from _cli import (ArgumentParser, CLIError, add_config_args,
                  add_custom_hook, add_launcher_args, build_config_model,
                  check_checkpoint, load_config, local_rank_env,
                  reports_errors, set_work_dir)

from mmpoolformer.checkpoint import loadable_checkpoint
from mmpoolformer.datasets import check_dataset_folders
from mmpoolformer.engine import build_runner, end_process_group


def parse_args():
    parser = ArgumentParser(description=__doc__)
    add_config_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument('--work-dir', help='where to save the metrics')
    parser.add_argument(
        '--out', help='also dump the predictions to this .pkl file')
    parser.add_argument(
        '--show-dir', help='draw the predictions into this folder')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation with the config's tta_model and "
        'tta_pipeline')
    parser.add_argument(
        '--fuse',
        action='store_true',
        help='fold the PoolFormer backbone\'s norms and layer scales into '
        'its convolutions before testing (same outputs, faster); with '
        'model.backbone.channels_last=True its MLPs also run fused oneDNN '
        'kernels on CPU')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='check the config, overrides, checkpoint and dataset folder, '
        'then exit')
    add_launcher_args(parser)
    args = parser.parse_args()
    local_rank_env(args.local_rank)
    return args


def enable_visualization(cfg, show_dir):
    """Turns on the visualization hook of the config's scope so that it
    draws every test prediction into ``show_dir``."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise CLIError('--show-dir needs default_hooks.visualization in the '
                       'config')
    if cfg.default_scope == 'mmdet':
        hook.update(draw=True, test_out_dir=show_dir)
    elif cfg.default_scope == 'mmseg':
        hook.update(draw=True, interval=1)
        cfg.visualizer.save_dir = show_dir
    else:
        hook.update(enable=True, interval=1, out_dir=show_dir)


def dump_metric(scope, out_file):
    """The metric that dumps predictions in the scope's format: mmdet's
    encodes masks as RLE, the others keep the data samples as they are."""
    if scope == 'mmdet':
        from mmdet.evaluation import DumpDetResults
        return DumpDetResults(out_file_path=out_file)
    return DumpResults(out_file_path=out_file)


def enable_tta(cfg):
    """Wraps the model in the config's ``tta_model`` and tests with its
    ``tta_pipeline``."""
    missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
    if missing:
        raise CLIError(f'--tta needs {" and ".join(missing)} in the config')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    dataset.pipeline = cfg.tta_pipeline


@reports_errors
def main():
    args = parse_args()
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise CLIError(f'--out must be a .pkl or .pickle file: {args.out}')
    cfg = load_config(args.config, args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)
    check_checkpoint(args.checkpoint)
    # Testing builds nothing of training (mmseg's visualization hook would
    # otherwise build the training loop and its dataset to read the
    # iteration number).
    cfg.train_dataloader = cfg.train_cfg = None
    cfg.optim_wrapper = cfg.param_scheduler = None
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    if args.tta:
        enable_tta(cfg)
    if args.fuse:
        add_custom_hook(cfg, 'mmpoolformer.FuseBackboneHook')
    check_dataset_folders({'test_dataloader': cfg.get('test_dataloader')},
                          cfg.default_scope)
    # A model argument that does not build ends here, before the runner
    # writes anything to the work dir.
    build_config_model(cfg)
    if args.dry_run:
        print(f'{args.config}: ready to test {args.checkpoint}')
        return
    # A bare official or timm checkpoint is converted first, into the work
    # dir: only once everything else has been checked.
    cfg.load_from = loadable_checkpoint(args.checkpoint, cfg.work_dir)
    cfg.launcher = args.launcher

    runner = build_runner(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(
            dump_metric(cfg.default_scope, args.out))
    runner.test()
    end_process_group()


if __name__ == '__main__':
    main()
