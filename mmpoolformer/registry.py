"""Registries of mmpoolformer.

``MODELS`` is a child of mmengine's root registry under the scope
``mmpoolformer``: a config in any downstream scope (mmdet, mmseg, mmpretrain)
reaches our classes as ``type='mmpoolformer.PoolFormer'``, and importing this
package needs none of those libraries.
"""
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='mmpoolformer',
    locations=['mmpoolformer.models'])
