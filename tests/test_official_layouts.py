"""Checkpoints of the official code, mmdet 2.x / mmseg 0.x releases and mmseg
1.x's FPN-PoolFormer load into our configs' models as they are, strictly (no
missing or unexpected key), and predict what the model that wrote them
predicts. Each layout is written here by a model built the way its release
was: mmpretrain's ``PoolFormer`` has exactly the official names."""
import os.path as osp

import torch
from conftest import assert_loads_strictly, randomize_
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import save_checkpoint

from tool_runs import ROOT, assert_ok, make_tiny_ade, run_in_process

CONFIGS = osp.join(ROOT, 'configs')


def build(model_cfg, scope):
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(model_cfg)
    return model.eval()


def ours(config):
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    cfg.model.backbone.init_cfg = None
    return build(cfg.model, cfg.default_scope)


def official(config, **changes):
    """The model ``config`` describes with the backbone the official code
    (or mmseg 1.x) had, mmpretrain's PoolFormer with outputs at network
    positions 0/2/4/6, and any other parts changed; random weights."""
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    cfg.model.backbone = dict(
        type='mmpretrain.PoolFormer', arch='s12', out_indices=(0, 2, 4, 6))
    cfg.model.update(changes)
    return randomize_(build(cfg.model, cfg.default_scope), seed=3)


def assert_close(actual, expected, atol=1e-5):
    if isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close(a, e, atol)
    else:
        assert (actual - expected).abs().max().item() < atol


def test_official_retinanet_release_loads_strictly(tmp_path):
    """The official mmdet 2.x RetinaNet: outputs at network positions
    0/2/4/6, the first one unused (its norm an Identity, FORK_LAST3) and the
    FPN starting at level 1; ours builds no stage-0 norm instead."""
    release = official(
        'retinanet_poolformer_s12_coco.py',
        neck=dict(
            type='FPN',
            in_channels=[64, 128, 320, 512],
            out_channels=256,
            start_level=1,
            add_extra_convs='on_input',
            num_outs=5))
    state = {
        k: v
        for k, v in release.state_dict().items()
        if not k.startswith('backbone.norm0.')
    }
    path = tmp_path / 'retinanet_poolformer_s12_fpn_1x_coco.pth'
    torch.save(dict(meta=dict(mmdet_version='2.19.0'), state_dict=state),
               path)
    model = ours('retinanet_poolformer_s12_coco.py')
    assert_loads_strictly(model, path)
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        assert_close(model(x, mode='tensor'), release(x, mode='tensor'))


def test_official_mask_rcnn_release_loads_strictly(tmp_path):
    release = official('mask_rcnn_poolformer_s12_coco.py')
    path = tmp_path / 'mask_rcnn_poolformer_s12_fpn_1x_coco.pth'
    save_checkpoint({'state_dict': release.state_dict()}, str(path))
    model = ours('mask_rcnn_poolformer_s12_coco.py')
    assert_loads_strictly(model, path)
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        features = model.extract_feat(x)
        assert_close(features, release.extract_feat(x))
        assert_close(model.rpn_head(features), release.rpn_head(features))


def mmseg_fpn_poolformer(tmp_path):
    """A checkpoint as mmseg 1.x's fpn_poolformer_s12_8xb4-40k_ade20k-512x512
    writes it: mmpretrain's PoolFormer with out_indices (0, 2, 4, 6), FPN
    and FPNHead."""
    release = official('fpn_poolformer_s12_ade20k_40k.py')
    path = tmp_path / 'fpn_poolformer_s12_8xb4-40k_ade20k-512x512.pth'
    save_checkpoint(
        {
            'meta': dict(mmseg_version='1.2.2'),
            'state_dict': release.state_dict()
        }, str(path))
    return release, path


def test_mmseg_fpn_poolformer_release_loads_strictly(tmp_path):
    release, path = mmseg_fpn_poolformer(tmp_path)
    model = ours('fpn_poolformer_s12_ade20k_40k.py')
    assert_loads_strictly(model, path)
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        assert_close(model(x, mode='tensor'), release(x, mode='tensor'))


def test_tools_test_takes_the_mmseg_release_as_it_is(tmp_path):
    _, path = mmseg_fpn_poolformer(tmp_path)
    root = make_tiny_ade(tmp_path / 'ade')
    result = run_in_process(
        'test.py', osp.join(CONFIGS, 'fpn_poolformer_s12_ade20k_40k.py'), path,
        '--work-dir', tmp_path, '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False')
    assert_ok(result)
    assert 'mIoU' in result.stdout
    log = result.stdout + result.stderr
    assert 'missing keys' not in log and 'unexpected key' not in log
