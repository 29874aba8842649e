"""Pieces shared by the command-line tools in this folder.

The tools work on mmdet, mmseg and mmpretrain configs alike: the config's
``default_scope`` picks the library. The mistakes a user is expected to make
(a missing config, checkpoint or dataset folder, a mistyped
``--cfg-options`` key) end the tool with one ``error: ...`` line on stderr and
exit status 1 instead of a traceback.

``--cfg-options`` keys are checked before they are merged: a key must already
be in the config, or add an argument of the class that a dict of the config
builds (e.g. ``model.backbone.drop_path_rate`` for ``mmpoolformer.PoolFormer``
or ``optim_wrapper.clip_grad.max_norm`` for ``OptimWrapper``), or sit under a
top-level Runner argument the config leaves out (e.g. ``randomness.seed``).
"""
import datetime
import functools
import importlib
import inspect
import os
import os.path as osp
import sys

import torch
import torch.distributed as torch_dist
from mmengine import registry as mm_registry
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import MODELS, RUNNERS, DefaultScope
from mmengine.runner import load_checkpoint

import mmpoolformer  # noqa: F401  (registers PoolFormer and safe loading)
from mmpoolformer.checkpoint import CheckpointError, load_checkpoint_file
from mmpoolformer.datasets import DataError
from mmpoolformer.engine import Runner

SCOPES = ('mmdet', 'mmseg', 'mmpretrain')
URL_PREFIXES = ('http://', 'https://')
# Top-level Runner arguments that configs often leave out.
OPTIONAL_RUNNER_KEYS = ('randomness', 'experiment_name', 'work_dir',
                        'custom_hooks', 'model_wrapper_cfg', 'compile',
                        'find_unused_parameters', 'sync_bn', 'cfg')
# The data sample each library's models take, as (module, class).
DATA_SAMPLES = {
    'mmdet': ('mmdet.structures', 'DetDataSample'),
    'mmseg': ('mmseg.structures', 'SegDataSample'),
    'mmpretrain': ('mmpretrain.structures', 'DataSample'),
}
# Image sizes (height, width) the libraries usually report speed and FLOPs at.
DEFAULT_SHAPES = {
    'mmdet': (800, 1280),
    'mmseg': (512, 512),
    'mmpretrain': (224, 224)
}
# Where the datasets of each library's configs are explained.
DATASET_DOCS = {
    'mmdet': 'docs/detection_segmentation.md',
    'mmseg': 'docs/detection_segmentation.md'
}


class CLIError(Exception):
    """A user error that the tools report as one line."""


def reports_errors(main):
    """Decorates a tool's ``main`` so that user errors end it with one line
    on stderr and exit status 1."""

    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except (CLIError, CheckpointError, DataError) as error:
            print(f'error: {error}', file=sys.stderr)
            sys.exit(1)

    return run


def add_config_args(parser):
    """Adds the positional ``config`` and ``--cfg-options``."""
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. '
        '"train_dataloader.batch_size=4 model.backbone.drop_path_rate=0.1"; '
        'each key must exist in the config or add an argument of the class '
        'that a dict of the config builds')


def add_launcher_args(parser):
    """Adds ``--launcher`` and the ``--local-rank`` older launchers pass."""
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(path, cfg_options=None):
    """Loads a config, checks its scope and merges checked overrides.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): Dotted keys to values, from
            ``--cfg-options``. Defaults to None.

    Returns:
        Config: The merged config.

    Raises:
        CLIError: the file is missing, its ``default_scope`` is not one of
            :data:`SCOPES`, or an override key is unknown.
    """
    if not osp.isfile(path):
        raise CLIError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise CLIError(f'{path}: default_scope is {scope!r}, expected one of '
                       f'{", ".join(SCOPES)}')
    if cfg_options:
        tree = cfg.to_dict()
        with DefaultScope.overwrite_default_scope(scope):
            for key in cfg_options:
                _check_option_key(tree, key)
        cfg.merge_from_dict(cfg_options)
    return cfg


def _check_option_key(tree, key):
    parts = key.split('.')
    if parts[0] in OPTIONAL_RUNNER_KEYS and parts[0] not in tree:
        return
    node = tree
    for depth, part in enumerate(parts):
        parent = '.'.join(parts[:depth]) or 'the top level'
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() \
                and int(part) < len(node):
            node = node[int(part)]
        elif _takes_argument(node, part):
            return
        else:
            raise CLIError(f"unknown --cfg-options key '{key}': the config "
                           f"has no '{part}' in {parent}")


def _takes_argument(node, name):
    """Whether ``node`` is a dict building a registered class whose
    constructor accepts ``name``."""
    if not isinstance(node, dict) or not isinstance(node.get('type'), str):
        return False
    for registry in vars(mm_registry).values():
        if not isinstance(registry, mm_registry.Registry):
            continue
        try:
            cls = registry.get(node['type'])
        except (KeyError, ImportError):
            cls = None
        if inspect.isclass(cls):
            params = inspect.signature(cls.__init__).parameters.values()
            return any(p.name == name or p.kind == p.VAR_KEYWORD
                       for p in params)
    return False


def build_runner(cfg):
    """Builds the config's ``runner_type``, by default our
    :class:`mmpoolformer.engine.Runner` (mmengine's, with datasets that
    report unusable data by file)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def add_custom_hook(cfg, hook_type):
    """Appends ``dict(type=hook_type)`` to the config's ``custom_hooks``
    unless it is there already."""
    hooks = cfg.get('custom_hooks') or []
    if not any(hook.get('type') == hook_type for hook in hooks):
        cfg.custom_hooks = [*hooks, dict(type=hook_type)]


def set_work_dir(cfg, work_dir, config_path):
    """Uses ``work_dir`` or, without one, the config's own or
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(config_path))[0]
        cfg.work_dir = osp.join('./work_dirs', name)


def check_checkpoint(path):
    """Checks that a checkpoint (local file or URL) exists and loads safely,
    before any dataset or model is built.

    Raises:
        CLIError: a local file does not exist.
        CheckpointError: the checkpoint cannot be downloaded or read safely.
    """
    if not path.startswith(URL_PREFIXES) and not osp.isfile(path):
        raise CLIError(f'checkpoint not found: {path}')
    load_checkpoint_file(path)


def check_dataset_folders(cfg, dataloaders):
    """Checks that the data roots, image / label folders and annotation files
    of the given dataloaders exist.

    Args:
        cfg (Config): The config.
        dataloaders (Sequence[str]): Names such as ``'train_dataloader'``.

    Raises:
        CLIError: a local ``data_root``, ``data_prefix`` folder or
            ``ann_file`` is missing.
    """
    docs = DATASET_DOCS.get(cfg.default_scope)
    hint = f'; see {docs} to prepare it' if docs else ''
    for name in dataloaders:
        loader = cfg.get(name)
        if not loader:
            continue
        for where, dataset in _datasets(
                loader.get('dataset'), f'{name}.dataset'):
            root = dataset.get('data_root') or ''
            if '://' in root:
                continue
            if root and not osp.isdir(root):
                raise CLIError(f'dataset folder not found: {root} '
                               f'({where}.data_root){hint}')
            prefixes = dataset.get('data_prefix') or {}
            if isinstance(prefixes, str):  # mmpretrain takes a bare folder
                prefixes = {'': prefixes}
            for key, prefix in prefixes.items():
                folder = osp.join(root, prefix)
                if prefix and not osp.isdir(folder):
                    field = f'data_prefix.{key}' if key else 'data_prefix'
                    raise CLIError(f'dataset folder not found: {folder} '
                                   f'({where}.{field}){hint}')
            ann_file = dataset.get('ann_file') or ''
            ann_path = osp.join(root, ann_file)
            if ann_file and not osp.isfile(ann_path):
                raise CLIError(f'annotation file not found: {ann_path} '
                               f'({where}.ann_file){hint}')


def _datasets(node, where):
    """Yields (dotted path, dataset dict) for every dataset config in
    ``node``, descending into wrappers such as ConcatDataset."""
    if isinstance(node, dict):
        if 'data_root' in node or 'ann_file' in node:
            yield where, node
        for key in ('dataset', 'datasets'):
            if key in node:
                yield from _datasets(node[key], f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            yield from _datasets(item, f'{where}.{index}')


def set_launcher(cfg, launcher):
    """Sets the launcher; on a machine without CUDA, a ``pytorch``
    (torchrun) launch runs as CPU processes over gloo.

    mmengine's own initialisation selects a CUDA device and DDP gets that
    device's id; neither exists on a CPU-only machine. Here the gloo
    process group is created before the Runner (which then keeps it), DDP
    wraps the model without device ids, and SyncBN layers, which need CUDA
    to synchronise, become BN. ``env_cfg.dist_cfg.timeout`` (seconds) is
    how long a collective waits for a silent process (torch's default, 30
    minutes, without it).
    """
    cfg.launcher = launcher
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    dist_cfg = dict(cfg.env_cfg.get('dist_cfg') or {}, backend='gloo')
    if not torch_dist.is_initialized():
        timeout = dist_cfg.get('timeout')
        torch_dist.init_process_group(
            backend='gloo',
            **({} if timeout is None else
               dict(timeout=datetime.timedelta(seconds=timeout))))
    cfg.env_cfg.dist_cfg = dist_cfg
    cfg.setdefault(
        'model_wrapper_cfg',
        dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False))
    if _replace_norm_type(cfg.model, 'SyncBN', 'BN'):
        print_log(
            'No CUDA: SyncBN layers run as BN in each CPU process.',
            logger='current')


def _replace_norm_type(node, old, new):
    """Replaces ``type=old`` by ``type=new`` in nested dicts; returns
    whether it found any."""
    found = False
    if isinstance(node, dict):
        if node.get('type') == old:
            node['type'] = new
            found = True
        for value in node.values():
            found = _replace_norm_type(value, old, new) or found
    elif isinstance(node, (list, tuple)):
        for value in node:
            found = _replace_norm_type(value, old, new) or found
    return found


def build_model(cfg, checkpoint=None, device='cpu'):
    """Builds ``cfg.model`` in the config's scope, in eval mode.

    Args:
        cfg (Config): The config.
        checkpoint (str, optional): Weights to load (local path or URL);
            without one the model keeps ``init_cfg`` unapplied (random).
            Defaults to None.
        device (str): Defaults to 'cpu'.

    Returns:
        torch.nn.Module: The model.
    """
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()


def synchronize(device):
    """Waits for the device's queued work (CUDA runs asynchronously), so
    that a timer stopped after it measures the work.

    Args:
        device (str | torch.device): Where the work runs.
    """
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def dummy_batch(scope, shape, batch_size=1):
    """A batch as the scope's dataloaders pack it: random uint8 images and
    data samples carrying the image shape.

    Args:
        scope (str): One of :data:`SCOPES`.
        shape (tuple[int, int]): Image (height, width).
        batch_size (int): Defaults to 1.

    Returns:
        dict: ``inputs`` and ``data_samples`` for ``model.test_step``.
    """
    module, name = DATA_SAMPLES[scope]
    sample_cls = getattr(importlib.import_module(module), name)
    height, width = shape
    meta = dict(
        img_shape=(height, width),
        ori_shape=(height, width),
        scale_factor=(1., 1.))
    return dict(
        inputs=[
            torch.randint(0, 256, (3, height, width), dtype=torch.uint8)
            for _ in range(batch_size)
        ],
        data_samples=[sample_cls(metainfo=meta) for _ in range(batch_size)])


def add_shape_arg(parser):
    """Adds ``--shape`` (image height and width) for models run on random
    images."""
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        help='image height and width, or one size for both; defaults to '
        '800 1280 for mmdet, 512 512 for mmseg and 224 224 for mmpretrain')


def image_shape(values, scope):
    """(height, width) from ``--shape`` values, or the scope's default."""
    if not values:
        return DEFAULT_SHAPES[scope]
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return tuple(values)
    raise CLIError(f'--shape takes one or two sizes, got {len(values)}')


def local_rank_env(local_rank):
    """Exports LOCAL_RANK for launchers that pass ``--local-rank``."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))
