"""The argument handling and error reporting shared by the command-line tools
in this folder; what they run lives in the package (``mmpoolformer``).

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
A value must keep the kind of the one it replaces where that is a number or
True/False, and an option that cannot be parsed (no ``=``, unbalanced
brackets) is refused like any other bad argument. The tools that train or test
build the config's model once before anything else, so that a bad model
argument is reported before a work dir is written.
"""
import argparse
import functools
import inspect
import os
import os.path as osp
import sys

from mmengine import registry as mm_registry
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

import mmpoolformer  # noqa: F401  (registers PoolFormer and safe loading)
from mmpoolformer.checkpoint import (URL_PREFIXES, CheckpointError,
                                     load_checkpoint_file)
from mmpoolformer.analysis import build_model
from mmpoolformer.datasets import DataError
from mmpoolformer.models.validation import is_number

SCOPES = ('mmdet', 'mmseg', 'mmpretrain')
# Top-level Runner arguments that configs often leave out.
OPTIONAL_RUNNER_KEYS = ('randomness', 'experiment_name', 'work_dir',
                        'custom_hooks', 'model_wrapper_cfg', 'compile',
                        'find_unused_parameters', 'sync_bn', 'cfg')
# Image sizes (height, width) the libraries usually report speed and FLOPs at.
DEFAULT_SHAPES = {
    'mmdet': (800, 1280),
    'mmseg': (512, 512),
    'mmpretrain': (224, 224)
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


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser whose usage errors end with the tools' own
    ``error: ...`` line (after the usage), exit status 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f'error: {message}', file=sys.stderr)
        sys.exit(2)


class OptionsAction(DictAction):
    """mmengine's ``--cfg-options`` parsing, with a usage error instead of a
    traceback for an option it cannot parse."""

    def __call__(self, parser, namespace, values, option_string=None):
        for value in values:
            if '=' not in value:
                raise argparse.ArgumentError(
                    self, f'{value!r} is no KEY=VALUE pair')
        try:
            super().__call__(parser, namespace, values, option_string)
        except (AssertionError, ValueError) as error:
            raise argparse.ArgumentError(
                self, f'cannot parse {" ".join(values)!r}: {error}')


def add_config_args(parser):
    """Adds the positional ``config`` and ``--cfg-options``."""
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=OptionsAction,
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
        CLIError: the file is missing or cannot be read as a config, its
            ``default_scope`` is not one of :data:`SCOPES`, an override key
            is unknown or an override value of the wrong kind.
    """
    if not osp.isfile(path):
        raise CLIError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except Exception as error:  # the file is the user's: any error is theirs
        raise CLIError(f'cannot read the config {path}: '
                       f'{type(error).__name__}: {_one_line(error)}')
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise CLIError(f'{path}: default_scope is {scope!r}, expected one of '
                       f'{", ".join(SCOPES)}')
    if cfg_options:
        tree = cfg.to_dict()
        with DefaultScope.overwrite_default_scope(scope):
            for key, value in cfg_options.items():
                _check_option(tree, key, value)
        cfg.merge_from_dict(cfg_options)
        _no_persistent_workers_without_workers(cfg)
    return cfg


def _no_persistent_workers_without_workers(cfg):
    """``--cfg-options test_dataloader.num_workers=0`` loads in the main
    process; the config's ``persistent_workers=True`` would make PyTorch's
    DataLoader refuse it (there is no worker to keep), so it goes too."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if (isinstance(loader, dict) and loader.get('num_workers') == 0
                and loader.get('persistent_workers')):
            loader['persistent_workers'] = False


def _one_line(error):
    return ' '.join(str(error).split())


def _check_option(tree, key, value):
    """Checks that ``key`` names a place in the config and that ``value`` is
    of the kind the config has there (a number for a number, True/False for
    True/False)."""
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
    kinds = (('True or False', lambda v: isinstance(v, bool)),
             ('a number', is_number))
    for kind, is_kind in kinds:
        if is_kind(node) and value is not None and not is_kind(value):
            raise CLIError(f"--cfg-options {key}={value!r}: the config's "
                           f'value is {node!r}, expected {kind}')


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


def build_config_model(cfg, checkpoint=None, device='cpu'):
    """The config's model (see :func:`mmpoolformer.analysis.build_model`);
    a model config that does not build (a bad argument, an unknown type) is
    a :class:`CLIError`.

    Args:
        cfg (Config): The config.
        checkpoint (str, optional): Weights to load. Defaults to None.
        device (str): Defaults to 'cpu'.
    """
    try:
        return build_model(cfg, checkpoint, device)
    except (AssertionError, KeyError, TypeError, ValueError) as error:
        raise CLIError(f"the config's model does not build: "
                       f'{type(error).__name__}: {_one_line(error)}')


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


def check_display(instead):
    """Refuses ``--show`` where matplotlib, which draws mmengine's windows,
    cannot open one (e.g. its ``agg`` backend, its choice on a machine
    without a display): there a tool would show nothing, or wait forever
    for a key press.

    Args:
        instead (str): The option that writes the drawings to files, named
            in the message.
    """
    import matplotlib
    from matplotlib.backends import BackendFilter, backend_registry
    backend = matplotlib.get_backend()
    if backend.lower() in backend_registry.list_builtin(
            BackendFilter.NON_INTERACTIVE):
        raise CLIError(f"--show needs a display: matplotlib's backend "
                       f'{backend!r} opens no windows; draw the predictions '
                       f'into a folder with {instead} instead')


def local_rank_env(local_rank):
    """Exports LOCAL_RANK for launchers that pass ``--local-rank``."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))
