"""mmengine's Runner with datasets that report missing and unusable data by
file, checkpoints written atomically, and CPU processes over gloo where
there is no CUDA."""
import copy
from typing import Callable, Dict, Optional, Union

from mmengine.config import Config
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmengine.runner import Runner as MMEngineRunner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)
from torch.utils.data import DataLoader

from mmpoolformer.checkpoint import (ATOMIC_BACKEND, convert_state_dict,
                                     foreign_layout)
from mmpoolformer.datasets import (as_annotation_error, check_dataset_folders,
                                   check_samples)
from mmpoolformer.registry import RUNNERS

from .cpu_launch import set_up_cpu_launch


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """:class:`mmengine.runner.Runner` whose dataloaders raise one
    :class:`~mmpoolformer.datasets.DataError` naming the file when

    - a data root, image or label folder or annotation file does not exist
      (:class:`~mmpoolformer.datasets.MissingDataError`, before the dataset
      is built; :meth:`train` checks the training and, with ``val_cfg``,
      the validation dataloader, :meth:`val` and :meth:`test` their own);
    - an annotation file cannot be parsed (not COCO, not JSON, ...);
    - a sample cannot be loaded or transformed (a missing or unreadable
      image or label map), also from a dataloader worker;
    - a label map holds values outside the dataset's classes and ignore
      index.

    Its ``CheckpointHook`` (the config's, or mmengine's default one) writes
    through :class:`~mmpoolformer.checkpoint.AtomicLocalBackend` unless the
    config gives the hook ``backend_args`` of its own: a crash while saving
    leaves the previous checkpoint whole.

    Built from a config (:meth:`from_cfg`, or ``RUNNERS.build`` with
    ``runner_type='mmpoolformer.Runner'``) with ``launcher='pytorch'`` on a
    machine without CUDA, it runs as CPU processes over gloo (see
    :func:`~mmpoolformer.engine.cpu_launch.set_up_cpu_launch`).

    It loads (``load_from``, ``resume``) a checkpoint of any layout of
    :data:`mmpoolformer.checkpoint.LAYOUTS`: one whose names the model does
    not have (a bare official ImageNet classifier, timm's, mmpoolformer
    0.1's) is converted in memory first, and the log says so.

    The tools in ``tools/`` build this runner; a config selects it for
    other tools and scripts with ``runner_type='mmpoolformer.Runner'``.
    """

    def __init__(self, *args, default_hooks: Optional[Dict] = None,
                 **kwargs) -> None:
        super().__init__(
            *args,
            default_hooks=with_atomic_checkpoints(default_hooks),
            **kwargs)

    @classmethod
    def from_cfg(cls, cfg: Union[Dict, Config]) -> 'Runner':
        """Builds the runner from a config; a ``pytorch`` launch without CUDA
        first gets the CPU set-up of
        :func:`~mmpoolformer.engine.cpu_launch.set_up_cpu_launch`.

        Args:
            cfg (dict | Config): The config, left unchanged.

        Returns:
            Runner: The runner.
        """
        cfg = copy.deepcopy(cfg)
        set_up_cpu_launch(cfg)
        return super().from_cfg(cfg)

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """mmengine's :meth:`~mmengine.runner.Runner.load_checkpoint`, the
        checkpoint's state dict in our names first where it is in another
        layout."""
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        state_dict = checkpoint.get('state_dict', checkpoint)
        layout = foreign_layout(state_dict)
        if layout is not None:
            converted = convert_state_dict(state_dict)
            checkpoint = dict(checkpoint, state_dict=converted) \
                if 'state_dict' in checkpoint else converted
            self.logger.info(f'{filename} has weights in the {layout} layout: '
                             f'loading {len(converted)} tensors under the '
                             'model\'s names')
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def build_train_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        self._check_dataset_folders(loop, 'train_dataloader')
        return super().build_train_loop(loop)

    def build_val_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        self._check_dataset_folders(loop, 'val_dataloader')
        return super().build_val_loop(loop)

    def build_test_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        self._check_dataset_folders(loop, 'test_dataloader')
        return super().build_test_loop(loop)

    def _check_dataset_folders(self, loop: Union[BaseLoop, Dict],
                               name: str) -> None:
        """Checks the folders of the dataloader ``name`` before a loop
        config (not a built loop) builds it."""
        if isinstance(loop, BaseLoop):
            return
        scope = self.default_scope and self.default_scope.scope_name
        check_dataset_folders({name: getattr(self, f'_{name}')}, scope)

    @staticmethod
    def build_dataloader(dataloader: Union[DataLoader, Dict],
                         seed: Optional[int] = None,
                         diff_rank_seed: bool = False) -> DataLoader:
        try:
            loader = MMEngineRunner.build_dataloader(
                dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
        except Exception as error:
            reported = as_annotation_error(error, dataloader.get('dataset'))
            if reported is error:
                raise
            raise reported from error
        check_samples(loader.dataset)
        return loader


def with_atomic_checkpoints(default_hooks: Optional[Dict]) -> Dict:
    """``default_hooks`` whose checkpoint hook (mmengine's default one if
    there is none, unless it is switched off with None) writes through the
    atomic backend, unless it has ``backend_args`` of its own."""
    hooks = dict(default_hooks or {})
    hook = hooks.get('checkpoint', dict(type='CheckpointHook', interval=1))
    if isinstance(hook, dict) and hook.get('backend_args') is None:
        hooks['checkpoint'] = dict(
            hook, backend_args=dict(backend=ATOMIC_BACKEND))
    return hooks


def build_runner(cfg: Union[Dict, Config]) -> MMEngineRunner:
    """Builds the config's ``runner_type``, by default :class:`Runner`.

    Args:
        cfg (dict | Config): The config.

    Returns:
        mmengine.runner.Runner: The runner.
    """
    if 'runner_type' in cfg:
        return MMENGINE_RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
