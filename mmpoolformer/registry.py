"""Registries of mmpoolformer.

Each registry is a child of mmengine's root registry of its kind, under the
scope ``mmpoolformer``: a config in any downstream scope (mmdet, mmseg,
mmpretrain) reaches our classes as ``type='mmpoolformer.PoolFormer'`` (or
``'mmpoolformer.IterationSeedHook'``, ``runner_type='mmpoolformer.Runner'``),
and importing this package needs none of those libraries.
"""
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import Registry

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='mmpoolformer',
    locations=['mmpoolformer.models'])

OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    scope='mmpoolformer',
    locations=['mmpoolformer.engine'])

OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='mmpoolformer',
    locations=['mmpoolformer.engine'])

HOOKS = Registry(
    'hook',
    parent=MMENGINE_HOOKS,
    scope='mmpoolformer',
    locations=['mmpoolformer.engine'])

RUNNERS = Registry(
    'runner',
    parent=MMENGINE_RUNNERS,
    scope='mmpoolformer',
    locations=['mmpoolformer.engine'])
