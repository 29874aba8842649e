"""Testing a checkpoint on a config's test set, as ``tools/test.py`` does:
every check first (config, overrides, checkpoint, dataset folder, the
model), then mmengine's Runner, with the options of the libraries' own
``tools/test.py``: prediction dumps, test-time augmentation, drawing."""
import os.path as osp
from copy import deepcopy
from typing import Optional

from mmengine.config import Config, ConfigDict
from mmengine.evaluator import DumpResults
from mmengine.logging import print_log

from ..datasets import check_dataset_folders
from ..engine import (UsageError, add_custom_hook, build_config_model,
                      build_runner, check_checkpoint, choose_fast_inference,
                      end_process_group, load_config, set_work_dir)
from ..visualization import check_display

PICKLE_SUFFIXES = ('.pkl', '.pickle')
# What ``tta`` wraps the model in when the config has no tta_model: the
# defaults of mmdet's and mmpretrain's tools/test.py, and for mmseg the model
# of its own TTA configs.
DEFAULT_TTA_MODELS = {
    'mmdet':
    dict(type='DetTTAModel',
         tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5),
                      max_per_img=100)),
    'mmseg':
    dict(type='SegTTAModel'),
    'mmpretrain':
    dict(type='AverageClsScoreTTA'),
}


def prepare_test(config: str,
                 checkpoint: str,
                 work_dir: Optional[str] = None,
                 out: Optional[str] = None,
                 show: bool = False,
                 wait_time: float = 2,
                 show_dir: Optional[str] = None,
                 tta: bool = False,
                 fuse: Optional[bool] = None,
                 cfg_options: Optional[dict] = None) -> Config:
    """The config of a test, checked: it builds its model and finds its
    dataset folder and checkpoint, or says what is wrong, before anything
    is written.

    Args:
        config (str): An mmdet, mmseg or mmpretrain config file.
        checkpoint (str): The weights (file or URL).
        work_dir (str, optional): Where the metrics go. Defaults to None:
            the config's own, else ``./work_dirs/<config name>``.
        out (str, optional): A .pkl or .pickle file to dump the predictions
            to; for an mmseg config, a folder to write one PNG of class
            indices per test image to. Defaults to None.
        show (bool): Show each prediction in a window. Defaults to False.
        wait_time (float): Seconds each window stays; 0 waits for a key.
            Defaults to 2.
        show_dir (str, optional): Draw the predictions into this folder.
            Defaults to None.
        tta (bool): Test-time augmentation with the config's ``tta_model``
            and ``tta_pipeline``, or the library's default model on the
            test pipeline with a horizontal flip. Defaults to False.
        fuse (bool, optional): Run the backbone channels-last and fused
            for inference (:class:`~mmpoolformer.engine.FuseBackboneHook`),
            or not. Defaults to None: on CPU only
            (:func:`~mmpoolformer.engine.choose_fast_inference`).
        cfg_options (dict, optional): Checked overrides. Defaults to None.

    Returns:
        Config: The config to give :func:`run_test`.

    Raises:
        UsageError, CheckpointError, DataError: what the user asked for
            cannot be tested.
    """
    if show:
        check_display(instead='--show-dir')
    cfg = load_config(config, cfg_options)
    set_work_dir(cfg, work_dir, config)
    check_checkpoint(checkpoint)
    if out is not None and not out.endswith(PICKLE_SUFFIXES):
        write_prediction_maps(cfg, out)
    # Testing builds nothing of training (mmseg's visualization hook would
    # otherwise build the training loop and its dataset to read the
    # iteration number).
    cfg.train_dataloader = cfg.train_cfg = None
    cfg.optim_wrapper = cfg.param_scheduler = None
    if show or show_dir:
        enable_visualization(cfg, show_dir, show, wait_time)
    if tta:
        enable_tta(cfg)
    if choose_fast_inference(cfg, fuse):
        add_custom_hook(cfg, 'mmpoolformer.FuseBackboneHook')
    check_dataset_folders({'test_dataloader': cfg.get('test_dataloader')},
                          cfg.default_scope)
    model = build_config_model(cfg)
    if tta and cfg.default_scope == 'mmdet':
        check_tta_model(model)
    return cfg


def run_test(cfg: Config,
             checkpoint: str,
             out: Optional[str] = None,
             launcher: str = 'none') -> dict:
    """Tests ``checkpoint`` with mmengine's Runner (ours).

    A bare official or timm checkpoint is converted first, into the work
    dir.

    Args:
        cfg (Config): From :func:`prepare_test`.
        checkpoint (str): The weights (file or URL).
        out (str, optional): As for :func:`prepare_test`: a .pkl or
            .pickle file gets the predictions. Defaults to None.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'. Defaults to
            'none'.

    Returns:
        dict: The metrics.
    """
    cfg.load_from = checkpoint
    cfg.launcher = launcher
    runner = build_runner(cfg)
    if out is not None and out.endswith(PICKLE_SUFFIXES):
        runner.test_evaluator.metrics.append(
            dump_metric(cfg.default_scope, out))
    metrics = runner.test()
    end_process_group()
    return metrics


def enable_visualization(cfg, show_dir=None, show=False, wait_time=2):
    """Turns on the visualization hook of the config's scope so that it
    draws every test prediction into ``show_dir`` and, with ``show``, into
    a window that stays ``wait_time`` seconds."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        option = '--show' if show else '--show-dir'
        raise UsageError(f'{option} needs default_hooks.visualization in '
                         'the config')
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
        raise UsageError(f'--out must be a .pkl or .pickle file for '
                         f'{cfg.default_scope} configs (only mmseg configs '
                         f'write prediction maps into a folder): {out_dir}')
    if osp.isfile(out_dir):
        raise UsageError(f'--out {out_dir} is a file: give a folder for the '
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
        pack.meta_keys = (*pack.meta_keys,
                          *(key for key in ('flip', 'flip_direction')
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
        print_log(
            f'--tta: the config has no tta_model, using '
            f'{cfg.tta_model.type}', 'current')
    if cfg.get('tta_pipeline') is None:
        cfg.tta_pipeline = flip_pipeline(dataset.pipeline)
        print_log(
            '--tta: the config has no tta_pipeline, using its test '
            'pipeline with a horizontal flip', 'current')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    dataset.pipeline = cfg.tta_pipeline


def check_tta_model(model):
    """Refuses mmdet's DetTTAModel around a model that predicts instance
    masks: it merges boxes only and would stop at the first image."""
    from mmdet.models import DetTTAModel
    if isinstance(model, DetTTAModel) and model.module.with_mask:
        raise UsageError('--tta: DetTTAModel merges boxes but not instance '
                         'masks; test this model without --tta')
