"""Layer-wise learning-rate decay
(mmpoolformer.LayerDecayOptimWrapperConstructor): each parameter's learning
rate and weight decay, checked against the module tree (which block of which
stage a parameter belongs to), for every family."""
import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper

from mmpoolformer import CAFormer, PoolFormer, PoolFormerV2

LR, WD, RATE = 1e-3, 0.05, 0.8


class Detector(nn.Module):
    """A backbone and a head, as a detector or segmentor holds them."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_channels[-1], 4)


def optimizer(model, **paramwise_cfg):
    return build_optim_wrapper(model, dict(
        type='OptimWrapper',
        constructor='mmpoolformer.LayerDecayOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
        paramwise_cfg=paramwise_cfg)).optimizer


def expected_layers(backbone, stage_wise=False):
    """{parameter: layer} from the module tree: the stem 0; block j of
    stage i its place among all blocks, counted from 1 (stage_wise: i + 1);
    a stage's downsampling and position embedding with its first block, its
    output norm with its last."""
    layers, first = {}, 1
    for i, stage in enumerate(backbone.stages):
        ids = [i + 1] * len(stage) if stage_wise else list(
            range(first, first + len(stage)))
        first += len(stage)
        for block, layer in zip(stage, ids):
            layers.update({p: layer for p in block.parameters()})
        parts = [(backbone.downsample_layers[i], 0 if i == 0 else ids[0])]
        if i in backbone.out_indices:
            parts.append((backbone.output_norm(i), ids[-1]))
        for part, layer in parts:
            layers.update({p: layer for p in part.parameters()})
        embed = backbone.position_embedding(i)
        if embed is not None:
            layers[embed] = ids[0]
    return layers, (len(backbone.stages) if stage_wise else first - 1) + 1


@pytest.mark.parametrize('backbone, stage_wise', [
    (lambda: CAFormer(init_cfg=[]), False),
    (lambda: PoolFormerV2(init_cfg=[]), True),
    (lambda: PoolFormer(pos_embed=(False, False, True, False),
                        out_indices=(1, 2), init_cfg=[]), False),
], ids=['caformer_layer_wise', 'poolformerv2_stage_wise',
        'poolformer_pos_embed_two_outputs'])
def test_each_parameter_learns_at_the_rate_of_its_layer(
        backbone, stage_wise):
    model = Detector(backbone())
    kwargs = dict(decay_type='stage_wise') if stage_wise else {}
    groups = optimizer(model, decay_rate=RATE, **kwargs).param_groups
    lr = {p: g['lr'] for g in groups for p in g['params']}
    wd = {p: g['weight_decay'] for g in groups for p in g['params']}
    layers, top = expected_layers(model.backbone, stage_wise)
    layers.update({p: top for p in model.head.parameters()})
    assert set(lr) == set(layers) == set(model.parameters())
    for param, layer in layers.items():
        assert lr[param] == pytest.approx(LR * RATE**(top - layer))
        no_decay = param.ndim == 1 or param.ndim == 4 and param.shape[0] == 1
        assert wd[param] == (0. if no_decay else WD)
    assert min(lr.values()) == pytest.approx(LR * RATE**top)


def test_frozen_stages_are_left_out():
    model = Detector(PoolFormer(frozen_stages=1, init_cfg=[]))
    groups = optimizer(model, decay_rate=RATE).param_groups
    optimised = {p for g in groups for p in g['params']}
    assert optimised == {p for p in model.parameters() if p.requires_grad}
    assert not optimised & set(model.backbone.stages[0].parameters())


@pytest.mark.parametrize('cfg, error', [
    (dict(decay_rate=0), ValueError), (dict(decay_rate=1.5), ValueError),
    (dict(decay_rate=0.9, decay_type='block'), ValueError),
])
def test_bad_settings_are_refused(cfg, error):
    with pytest.raises(error, match='decay'):
        optimizer(Detector(PoolFormer(init_cfg=[])), **cfg)


def test_a_model_without_our_backbone_is_refused():
    model = nn.Module()
    model.backbone = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="mmpoolformer's"):
        optimizer(model, decay_rate=RATE)


def test_training_steps_with_it():
    model = Detector(CAFormer(dict(layers=[1, 1, 1, 1],
                                   embed_dims=[16, 16, 32, 32]), init_cfg=[]))
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper',
        constructor='mmpoolformer.LayerDecayOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
        paramwise_cfg=dict(decay_rate=RATE)))
    stem = model.backbone.downsample_layers[0].conv.weight
    before = stem.detach().clone()
    x = torch.randn(2, 3, 64, 64)
    loss = model.head(model.backbone(x)[-1].mean((2, 3))).square().mean()
    wrapper.update_params(loss)
    assert not torch.equal(before, stem)
