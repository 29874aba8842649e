"""``type='mmpoolformer.PoolFormer'`` from every downstream scope."""
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmpoolformer


def test_registry_is_a_child_of_mmengine_root():
    from mmengine.registry import MODELS as ROOT
    assert mmpoolformer.MODELS.scope == 'mmpoolformer'
    assert mmpoolformer.MODELS.parent is ROOT
    assert mmpoolformer.MODELS.get('PoolFormer') is mmpoolformer.PoolFormer


def test_import_needs_neither_mmdet_nor_mmseg():
    code = textwrap.dedent("""
        import sys
        import mmpoolformer
        loaded = sorted(m for m in ('mmdet', 'mmseg', 'mmpretrain')
                        if m in sys.modules)
        print('LOADED', loaded)
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert 'LOADED []' in out


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
def test_builds_from_downstream_scope(scope):
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    init_default_scope(scope)
    model = registry.build(
        dict(type='mmpoolformer.PoolFormer', arch='s12', out_indices=(3, )))
    assert isinstance(model, mmpoolformer.PoolFormer)
    assert model.out_channels == [512]


USER_CONFIGS = {
    'mmdet': """
        _base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
        custom_imports = dict(imports=['mmpoolformer'],
                              allow_failed_imports=False)
        model = dict(
            backbone=dict(_delete_=True, type='mmpoolformer.PoolFormer',
                          arch='s12', out_indices=(1, 2, 3)),
            neck=dict(in_channels=[128, 320, 512]))
    """,
    'mmseg': """
        _base_ = 'mmseg::_base_/models/fpn_r50.py'
        custom_imports = dict(imports=['mmpoolformer'],
                              allow_failed_imports=False)
        norm_cfg = dict(type='BN', requires_grad=True)
        model = dict(
            pretrained=None,
            data_preprocessor=dict(size=(64, 64)),
            backbone=dict(_delete_=True, type='mmpoolformer.PoolFormer',
                          arch='s12'),
            neck=dict(in_channels=[64, 128, 320, 512]),
            decode_head=dict(num_classes=150))
    """,
    'mmpretrain': """
        _base_ = 'mmpretrain::_base_/models/resnet18.py'
        custom_imports = dict(imports=['mmpoolformer'],
                              allow_failed_imports=False)
        model = dict(
            backbone=dict(_delete_=True, type='mmpoolformer.PoolFormer',
                          arch='s12', out_indices=(3, )),
            head=dict(in_channels=512))
    """,
}


@pytest.mark.parametrize('scope', sorted(USER_CONFIGS))
def test_user_config_inheriting_upstream_base_builds_and_runs(scope, tmp_path):
    path = tmp_path / f'user_{scope}.py'
    path.write_text(textwrap.dedent(USER_CONFIGS[scope]))
    cfg = Config.fromfile(str(path))
    assert cfg.model.backbone.type == 'mmpoolformer.PoolFormer'
    init_default_scope(cfg.get('default_scope', scope))
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    model = registry.build(cfg.model)
    assert isinstance(model.backbone, mmpoolformer.PoolFormer)
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert len(feats) >= 1 and all(torch.isfinite(f).all() for f in feats)
