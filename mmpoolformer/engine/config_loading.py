"""Loading a config as the tools do: its scope checked, its ``--cfg-options``
checked before they are merged, its model built once so that a bad argument
is reported before anything is written.

The configs may be mmdet, mmseg or mmpretrain ones: ``default_scope`` picks
the library. A ``cfg_options`` key must already be in the config, or add an
argument of the class that a dict of the config builds (e.g.
``model.backbone.drop_path_rate`` for ``mmpoolformer.PoolFormer`` or
``optim_wrapper.clip_grad.max_norm`` for ``OptimWrapper``), or sit under a
top-level Runner argument the config leaves out (e.g. ``randomness.seed``).
A value must keep the kind of the one it replaces where that is a number or
True/False.
"""
import inspect
import os.path as osp
from typing import Optional

from mmengine import registry as mm_registry
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.utils import get_installed_path

from ..analysis import build_model
from ..checkpoint import URL_PREFIXES, load_checkpoint_file
from ..models.validation import is_number

SCOPES = ('mmdet', 'mmseg', 'mmpretrain')
# Top-level Runner arguments that configs often leave out.
OPTIONAL_RUNNER_KEYS = ('randomness', 'experiment_name', 'work_dir',
                        'custom_hooks', 'model_wrapper_cfg', 'compile',
                        'find_unused_parameters', 'sync_bn', 'cfg')


class UsageError(Exception):
    """A mistake in what the user asked for (a missing file, an unknown
    option, a model that does not build), reported by the tools as one
    ``error: ...`` line."""


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Loads a config, checks its scope and merges checked overrides.

    Args:
        path (str): The config file, or ``PACKAGE::PATH`` for a config that
            an installed library ships (``mmdet::retinanet/
            retinanet_r50_fpn_1x_coco.py``), as configs name their bases.
        cfg_options (dict, optional): Dotted keys to values, as
            ``--cfg-options`` gives them. Defaults to None.

    Returns:
        Config: The merged config.

    Raises:
        UsageError: the file is missing or cannot be read as a config, its
            ``default_scope`` is not one of :data:`SCOPES`, an override key
            is unknown or an override value of the wrong kind.
    """
    if '::' in path:
        package, relative = path.split('::', 1)
        try:
            path = osp.join(get_installed_path(package), '.mim', 'configs',
                            relative)
        except Exception:
            raise UsageError(f'{path}: {package} is not installed') from None
    if not osp.isfile(path):
        raise UsageError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except Exception as error:  # the file is the user's: any error is theirs
        raise UsageError(f'cannot read the config {path}: '
                         f'{type(error).__name__}: {one_line(error)}')
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise UsageError(f'{path}: default_scope is {scope!r}, expected one '
                         f'of {", ".join(SCOPES)}')
    if cfg_options:
        tree = cfg.to_dict()
        with DefaultScope.overwrite_default_scope(scope):
            for key, value in cfg_options.items():
                _check_option(tree, key, value)
        cfg.merge_from_dict(cfg_options)
        _no_persistent_workers_without_workers(cfg)
    return cfg


def _no_persistent_workers_without_workers(cfg):
    """``test_dataloader.num_workers=0`` loads in the main process; the
    config's ``persistent_workers=True`` would make PyTorch's DataLoader
    refuse it (there is no worker to keep), so it goes too."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if (isinstance(loader, dict) and loader.get('num_workers') == 0
                and loader.get('persistent_workers')):
            loader['persistent_workers'] = False


def one_line(error) -> str:
    """An error's message on one line."""
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
            raise UsageError(f"unknown --cfg-options key '{key}': the config "
                             f"has no '{part}' in {parent}")
    kinds = (('True or False', lambda v: isinstance(v, bool)),
             ('a number', is_number))
    for kind, is_kind in kinds:
        if is_kind(node) and value is not None and not is_kind(value):
            raise UsageError(f"--cfg-options {key}={value!r}: the config's "
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
            return _constructor_takes(cls, name)
    return False


def _constructor_takes(cls: type, name: str) -> bool:
    """Whether ``cls(name=...)`` is accepted: a parameter of its
    ``__init__``, or of a base's where ours pass their ``**kwargs`` on (an
    upstream class's ``**kwargs`` may take anything)."""
    for klass in cls.__mro__:
        if '__init__' not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        if any(p.name == name for p in params):
            return True
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return False
        if not klass.__module__.startswith('mmpoolformer.'):
            return True
    return True


def build_config_model(cfg: Config,
                       checkpoint: Optional[str] = None,
                       device: str = 'cpu'):
    """The config's model (see :func:`mmpoolformer.analysis.build_model`);
    a model config that does not build (a bad argument, an unknown type) is
    a :class:`UsageError`.

    Args:
        cfg (Config): The config.
        checkpoint (str, optional): Weights to load. Defaults to None.
        device (str): Defaults to 'cpu'.
    """
    try:
        return build_model(cfg, checkpoint, device)
    except (AssertionError, KeyError, TypeError, ValueError) as error:
        raise UsageError(f"the config's model does not build: "
                         f'{type(error).__name__}: {one_line(error)}')


def add_custom_hook(cfg: Config, hook_type: str) -> None:
    """Appends ``dict(type=hook_type)`` to the config's ``custom_hooks``
    unless it is there already."""
    hooks = cfg.get('custom_hooks') or []
    if not any(hook.get('type') == hook_type for hook in hooks):
        cfg.custom_hooks = [*hooks, dict(type=hook_type)]


def set_work_dir(cfg: Config, work_dir: Optional[str],
                 config_path: str) -> None:
    """Uses ``work_dir`` or, without one, the config's own or
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(config_path))[0]
        cfg.work_dir = osp.join('./work_dirs', name)


def check_checkpoint(path: str) -> None:
    """Checks that a checkpoint (local file or URL) exists and loads safely,
    before any dataset or model is built.

    Raises:
        UsageError: a local file does not exist.
        CheckpointError: the checkpoint cannot be downloaded or read safely.
    """
    if not path.startswith(URL_PREFIXES) and not osp.isfile(path):
        raise UsageError(f'checkpoint not found: {path}')
    load_checkpoint_file(path)
