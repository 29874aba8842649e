"""Evaluate a checkpoint (local file or URL) on the test set of an mmdet,
mmseg or mmpretrain config and print its metrics."""

import os.path as osp
from copy import deepcopy

from mmengine.config import ConfigDict
from mmengine.evaluator import DumpResults
from mmengine.logging import print_log

from _cli import (ArgumentParser, CLIError, add_config_args,
                  add_custom_hook, add_launcher_args, build_config_model,
                  check_checkpoint, check_display, load_config,
                  local_rank_env, reports_errors, set_work_dir)

from mmpoolformer.checkpoint import loadable_checkpoint
from mmpoolformer.datasets import check_dataset_folders
from mmpoolformer.engine import build_runner, end_process_group

PICKLE_SUFFIXES = ('.pkl', '.pickle')
# What --tta wraps the model in when the config has no tta_model: the
# defaults of mmdet's and mmpretrain's tools/test.py, and for mmseg the model
# of its own TTA configs.
DEFAULT_TTA_MODELS = {
    'mmdet':
    dict(
        type='DetTTAModel',
        tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5),
                     max_per_img=100)),
    'mmseg':
    dict(type='SegTTAModel'),
    'mmpretrain':
    dict(type='AverageClsScoreTTA'),
}


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
    parser.add_argument(
        '--fuse',
        action='store_true',
        help='fuse the backbone for inference before testing (same outputs, '
        'faster): PoolFormer folds its norms and layer scales into its '
        'convolutions, and with model.backbone.channels_last=True its MLPs '
        'also run fused oneDNN kernels on CPU; PoolFormerV2, ConvFormer and '
        'CAFormer fold their MLPs\' StarReLU affines and one-group norms')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='check the config, overrides, checkpoint and dataset folder, '
        'then exit')
    add_launcher_args(parser)
    args = parser.parse_args()
    local_rank_env(args.local_rank)
    return args


def enable_visualization(cfg, show_dir=None, show=False, wait_time=2):
    """Turns on the visualization hook of the config's scope so that it
    draws every test prediction into ``show_dir`` and, with ``show``, into
    a window that stays ``wait_time`` seconds."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        option = '--show' if show else '--show-dir'
        raise CLIError(f'{option} needs default_hooks.visualization in the '
                       'config')
    scope = cfg.default_scope
    if scope == 'mmdet':
        hook.draw = True
        if show_dir:
            hook.test_out_dir = show_dir
    elif scope == 'mmseg':
        hook.update(draw=True, interval=1)
        if show_dir:
            cfg.visualizer.save_dir = show_dir
    else:
        hook.update(enable=True, interval=1)
        if show_dir:
            hook.out_dir = show_dir
    if show:
        hook.update(show=True, wait_time=wait_time)


def dump_metric(scope, out_file):
    """The metric that dumps predictions in the scope's format: mmdet's
    encodes masks as RLE, the others keep the data samples as they are."""
    if scope == 'mmdet':
        from mmdet.evaluation import DumpDetResults
        return DumpDetResults(out_file_path=out_file)
    return DumpResults(out_file_path=out_file)


def write_prediction_maps(cfg, out_dir):
    """Has the config's mmseg metrics save every test prediction into
    ``out_dir`` as a PNG of class indices named after its image, as mmseg's
    tools/test.py does with ``--out``."""
    if cfg.default_scope != 'mmseg':
        raise CLIError(f'--out must be a .pkl or .pickle file for '
                       f'{cfg.default_scope} configs (only mmseg configs '
                       f'write prediction maps into a folder): {out_dir}')
    if osp.isfile(out_dir):
        raise CLIError(f'--out {out_dir} is a file: give a folder for the '
                       'prediction maps, or a .pkl or .pickle file')
    metrics = cfg.test_evaluator
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        metric.output_dir = out_dir


def flip_pipeline(pipeline):
    """``pipeline`` whose last step (packing the inputs) runs on the image as
    it is and on its horizontal mirror. The unflipped view comes first:
    the TTA models keep the first view's data sample (mmseg's SegTTAModel
    its label map, which the metric scores against)."""
    *steps, pack = deepcopy(pipeline)
    if 'meta_keys' in pack:
        pack.meta_keys = (*pack.meta_keys, *(
            key for key in ('flip', 'flip_direction')
            if key not in pack.meta_keys))
    flips = [
        dict(type='RandomFlip', prob=prob, direction='horizontal')
        for prob in (0., 1.)
    ]
    return [*steps, dict(type='TestTimeAug', transforms=[flips, [pack]])]


def enable_tta(cfg):
    """Wraps the model in the config's ``tta_model`` and tests with its
    ``tta_pipeline``; where the config has none (or None), the scope's
    :data:`DEFAULT_TTA_MODELS` and the test pipeline with a flip."""
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    if cfg.get('tta_model') is None:
        cfg.tta_model = deepcopy(DEFAULT_TTA_MODELS[cfg.default_scope])
        print_log(f'--tta: the config has no tta_model, using '
                  f'{cfg.tta_model.type}', 'current')
    if cfg.get('tta_pipeline') is None:
        cfg.tta_pipeline = flip_pipeline(dataset.pipeline)
        print_log('--tta: the config has no tta_pipeline, using its test '
                  'pipeline with a horizontal flip', 'current')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    dataset.pipeline = cfg.tta_pipeline


def check_tta_model(model):
    """Refuses mmdet's DetTTAModel around a model that predicts instance
    masks: it merges boxes only and would stop at the first image."""
    from mmdet.models import DetTTAModel
    if isinstance(model, DetTTAModel) and model.module.with_mask:
        raise CLIError('--tta: DetTTAModel merges boxes but not instance '
                       'masks; test this model without --tta')


@reports_errors
def main():
    args = parse_args()
    if args.show:
        check_display(instead='--show-dir')
    cfg = load_config(args.config, args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)
    check_checkpoint(args.checkpoint)
    dumps = args.out is not None and args.out.endswith(PICKLE_SUFFIXES)
    if args.out is not None and not dumps:
        write_prediction_maps(cfg, args.out)
    # Testing builds nothing of training (mmseg's visualization hook would
    # otherwise build the training loop and its dataset to read the
    # iteration number).
    cfg.train_dataloader = cfg.train_cfg = None
    cfg.optim_wrapper = cfg.param_scheduler = None
    if args.show or args.show_dir:
        enable_visualization(cfg, args.show_dir, args.show, args.wait_time)
    if args.tta:
        enable_tta(cfg)
    if args.fuse:
        add_custom_hook(cfg, 'mmpoolformer.FuseBackboneHook')
    check_dataset_folders({'test_dataloader': cfg.get('test_dataloader')},
                          cfg.default_scope)
    # A model argument that does not build ends here, before the runner
    # writes anything to the work dir.
    model = build_config_model(cfg)
    if args.tta and cfg.default_scope == 'mmdet':
        check_tta_model(model)
    if args.dry_run:
        print(f'{args.config}: ready to test {args.checkpoint}')
        return
    # A bare official or timm checkpoint is converted first, into the work
    # dir: only once everything else has been checked.
    cfg.load_from = loadable_checkpoint(args.checkpoint, cfg.work_dir)
    cfg.launcher = args.launcher

    runner = build_runner(cfg)
    if dumps:
        runner.test_evaluator.metrics.append(
            dump_metric(cfg.default_scope, args.out))
    runner.test()
    end_process_group()


if __name__ == '__main__':
    main()
