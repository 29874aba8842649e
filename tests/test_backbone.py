"""PoolFormer backbone: architecture, equivalence with mmpretrain, training
switches and the MetaFormer variants."""

import pytest
import torch
from conftest import ARCHS, mmpretrain_poolformer, randomize_

from mmpoolformer import PoolFormer
from mmpoolformer.checkpoint import convert_backbone_state_dict

PAPER_PARAMS_M = {'s12': 11.9, 's24': 21.4, 's36': 30.9, 'm36': 56.2,
                  'm48': 73.5}


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def expected_sizes(h: int, w: int):
    h, w = conv_out(h, 7, 4, 2), conv_out(w, 7, 4, 2)
    sizes = [(h, w)]
    for _ in range(3):
        h, w = conv_out(h, 3, 2, 1), conv_out(w, 3, 2, 1)
        sizes.append((h, w))
    return sizes


def classification_params(model: PoolFormer) -> int:
    """Backbone params plus the official classifier's final norm and head
    (the paper's count), minus the three extra output norms."""
    extra_norms = sum(
        p.numel() for i in (0, 1, 2) for p in model.output_norm(i).parameters())
    head = model.embed_dims[-1] * 1000 + 1000
    return sum(p.numel() for p in model.parameters()) - extra_norms + head


@pytest.mark.parametrize('arch', ARCHS)
def test_shapes_strides_and_params_at_odd_size(arch):
    model = PoolFormer(arch).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 97, 131))
    assert len(outs) == 4
    for out, (h, w), channels, info in zip(outs, expected_sizes(97, 131),
                                           model.out_channels,
                                           model.feature_info):
        assert out.shape == (1, channels, h, w)
        assert info['num_chs'] == channels
    assert [i['reduction'] for i in model.feature_info] == [4, 8, 16, 32]
    params_m = classification_params(model) / 1e6
    assert params_m == pytest.approx(PAPER_PARAMS_M[arch], abs=0.05)


@pytest.mark.parametrize('arch', ARCHS)
def test_features_equal_mmpretrain(arch, tmp_path):
    reference = mmpretrain_poolformer(arch, seed=1)
    path = tmp_path / f'{arch}.pth'
    torch.save(reference.state_dict(), path)
    model = PoolFormer(
        arch, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        expected, actual = reference(x), model(x)
    assert len(actual) == len(expected) == 4
    for a, e in zip(actual, expected):
        assert a.shape == e.shape
        assert (a - e).abs().max().item() < 1e-5


def test_drop_path_rises_linearly_over_all_blocks():
    model = PoolFormer('s12', drop_path_rate=0.22)
    rates = [
        block.drop_path.drop_prob if hasattr(block.drop_path, 'drop_prob')
        else 0. for stage in model.stages for block in stage
    ]
    assert len(rates) == 12
    assert rates == pytest.approx([0.02 * i for i in range(12)])


def test_layer_scale_defaults_follow_arch():
    assert PoolFormer('s24').stages[0][0].layer_scale1.scale[0].item() == \
        pytest.approx(1e-5)
    assert PoolFormer('s36').stages[0][0].layer_scale1.scale[0].item() == \
        pytest.approx(1e-6)
    custom = PoolFormer(
        dict(layers=[1, 1, 1, 1], embed_dims=[8, 16, 32, 64]),
        layer_scale_init_value=0.5)
    assert custom.stages[3][0].layer_scale2.scale[0].item() == 0.5
    assert custom.out_channels == [8, 16, 32, 64]


def test_out_indices_select_and_negative_indices():
    model = PoolFormer('s12', out_indices=(-3, -1)).eval()
    assert model.out_indices == (1, 3)
    assert not hasattr(model, 'norm0') and not hasattr(model, 'norm2')
    assert hasattr(model, 'norm1') and hasattr(model, 'norm3')
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [128, 512]


def test_stages_after_last_output_are_not_built():
    model = PoolFormer('s12', out_indices=(0, 1))
    assert len(model.stages) == 2 and len(model.downsample_layers) == 2
    outs = model(torch.randn(1, 3, 64, 64))
    sum(o.sum() for o in outs).backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert unused == []


@pytest.mark.parametrize('frozen_stages', [0, 2])
def test_frozen_stages_stay_frozen_after_train(frozen_stages):
    model = PoolFormer('s12', frozen_stages=frozen_stages)
    model.train()
    frozen = ['downsample_layers.0.'] + [
        f'{part}.{i}.' for i in range(frozen_stages)
        for part in ('downsample_layers', 'stages')
    ] + [f'norm{i}.' for i in range(frozen_stages)]
    outs = model(torch.randn(2, 3, 64, 64))
    sum(o.sum() for o in outs).backward()
    for name, param in model.named_parameters():
        is_frozen = name.startswith(tuple(frozen))
        assert param.requires_grad is not is_frozen, name
        assert (param.grad is None) is is_frozen, name
    assert not model.downsample_layers[0].training
    for i, stage in enumerate(model.stages):
        assert stage.training is (i >= frozen_stages)


def test_nothing_frozen_by_default():
    model = PoolFormer('s12').train()
    assert all(p.requires_grad for p in model.parameters())


def test_norm_eval_keeps_batchnorm_statistics():
    model = PoolFormer('s12', norm_cfg=dict(type='BN'), norm_eval=True).train()
    bn = model.stages[1][0].norm1
    assert isinstance(bn, torch.nn.BatchNorm2d) and not bn.training
    before = bn.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(before, bn.running_mean)
    moving = PoolFormer('s12', norm_cfg=dict(type='BN')).train()
    moving(torch.randn(2, 3, 64, 64))
    assert not torch.equal(moving.stages[1][0].norm1.running_mean,
                           before)


def test_with_cp_gives_same_gradients():
    plain = randomize_(PoolFormer('s12', drop_path_rate=0.))
    checkpointed = PoolFormer('s12', with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64)
    for model in (plain, checkpointed):
        model.train()
        sum(o.square().mean() for o in model(x)).backward()
    grads = dict(checkpointed.named_parameters())
    for name, param in plain.named_parameters():
        assert torch.allclose(param.grad, grads[name].grad, atol=1e-6), name


@pytest.mark.parametrize('variant', [
    dict(token_mixer=('pooling', 'pooling', 'attention', 'attention')),
    dict(token_mixer=('pooling', 'pooling', 'spatial_mlp', 'spatial_mlp'),
         img_size=64),
    dict(token_mixer='identity'),
    dict(token_mixer=('pooling', 'pooling', 'attention', 'attention'),
         norm_cfg='ln', pos_embed=(False, False, True, False)),
    dict(norm_cfg='ln', act_cfg='relu'),
    dict(norm_cfg='bn', act_cfg='silu'),
    dict(norm_cfg=dict(type='GN', num_groups=4), act_cfg=dict(type='GELU')),
    dict(token_mixer=dict(type='Attention', head_dim=64)),
    dict(pool_size=7),
])
def test_metaformer_variants_train(variant):
    model = PoolFormer('s12', **variant).train()
    outs = model(torch.randn(2, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [64, 128, 320, 512]
    sum(o.square().mean() for o in outs).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_hybrid_mixers_and_norms_are_what_was_asked():
    from mmpoolformer.models.layers import (Attention, LayerNorm2d, Pooling,
                                            SpatialMLP)
    model = PoolFormer(
        's12',
        token_mixer=('pooling', 'pooling', 'attention', 'spatial_mlp'),
        norm_cfg=('gn', dict(type='GN', num_groups=1), 'ln',
                  dict(type='LN2d')),
        img_size=(64, 96))
    mixers = [type(s[0].token_mixer) for s in model.stages]
    assert mixers == [Pooling, Pooling, Attention, SpatialMLP]
    assert model.stages[3][0].token_mixer.num_tokens == 2 * 3
    assert isinstance(model.stages[2][0].norm1, LayerNorm2d)
    assert isinstance(model.norm3, LayerNorm2d)
    plain = PoolFormer('s12')
    assert sum(p.numel() for p in model.parameters()) > sum(
        p.numel() for p in plain.parameters())


def test_pos_embed_is_added_before_its_stage_and_resized_elsewhere():
    """Zeros of the stage's map at img_size, added to the input of its
    blocks: exactly at that size, resized bicubically at others."""
    import torch.nn.functional as F
    model = PoolFormer(
        's12', pos_embed=(False, False, True, False), img_size=(64, 96))
    embed = model.position_embedding(2)
    assert [k for k in model.state_dict() if 'pos_embed' in k] == [
        'pos_embed2'
    ]
    assert embed.shape == (1, 320, 4, 6) and not embed.any()
    with torch.no_grad():
        embed.normal_()
    seen = {}
    model.downsample_layers[2].register_forward_hook(
        lambda module, args, out: seen.update(downsampled=out))
    model.stages[2].register_forward_pre_hook(
        lambda module, args: seen.update(stage_input=args[0]))
    model.eval()
    for size in ((64, 96), (80, 144)):
        with torch.no_grad():
            model(torch.randn(1, 3, *size))
        expected = embed
        if size != (64, 96):
            expected = F.interpolate(embed, size=(5, 9), mode='bicubic',
                                     align_corners=False)
        assert torch.equal(seen['stage_input'],
                           seen['downsampled'] + expected)


def test_frozen_stages_freeze_their_position_embeddings():
    """Stages that are not built (after the last output) get none."""
    model = PoolFormer('s12', pos_embed=True, frozen_stages=2,
                       out_indices=(0, 1, 2)).train()
    assert {
        name: param.requires_grad
        for name, param in model.named_parameters()
        if name.startswith('pos_embed')
    } == {'pos_embed0': False, 'pos_embed1': False, 'pos_embed2': True}


def test_pooling_mixer_is_pool_minus_input():
    from mmpoolformer.models.layers import Pooling
    x = torch.ones(1, 1, 5, 5)
    # count_include_pad=False: averaging a constant map gives the constant
    # at the borders too, so the mixer outputs zeros everywhere.
    assert Pooling(3)(x).abs().max().item() == 0
    x = torch.zeros(1, 1, 3, 3)
    x[0, 0, 1, 1] = 9.
    assert Pooling(3)(x)[0, 0, 1, 1].item() == pytest.approx(1. - 9.)


def test_layernorm2d_matches_layernorm_over_channels():
    from mmpoolformer.models.layers import LayerNorm2d
    norm = randomize_(LayerNorm2d(8))
    x = torch.randn(2, 8, 5, 7)
    expected = torch.nn.functional.layer_norm(
        x.permute(0, 2, 3, 1), (8, ), norm.weight, norm.bias,
        1e-5).permute(0, 3, 1, 2)
    assert torch.allclose(norm(x), expected, atol=1e-6)


def test_converter_maps_every_official_tensor(reference_s12):
    converted = convert_backbone_state_dict(reference_s12.state_dict())
    model = PoolFormer('s12')
    assert set(converted) == set(model.state_dict())


@pytest.mark.parametrize('arch', ARCHS)
def test_the_official_names_load_strictly(arch):
    """mmpretrain's PoolFormer uses the official names: its state dict
    loads strictly, as it is, and gives the same features."""
    reference = mmpretrain_poolformer(arch, seed=2)
    model = PoolFormer(arch).eval()
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(1, 3, 67, 45)
    with torch.no_grad():
        for a, e in zip(model(x), reference(x), strict=True):
            assert (a - e).abs().max().item() < 1e-5


@pytest.mark.parametrize('norm_cfg, norm_type', [
    (dict(type='GN', num_groups=1), 'GroupNorm'),
    (dict(type='LN2d'), 'LayerNorm2d'),
    (dict(type='BN'), 'BatchNorm2d'),
    (dict(type='SyncBN'), 'SyncBatchNorm'),
    (dict(type='mmpretrain.LN2d'), 'LayerNorm2d'),
])
def test_norm_cfg_builds_through_the_registries_and_trains(norm_cfg,
                                                           norm_type):
    from mmengine.model import revert_sync_batchnorm
    model = PoolFormer('s12', norm_cfg=norm_cfg, out_indices=(0, 1))
    norms = {type(m).__name__ for m in model.modules()
             if 'norm' in type(m).__name__.lower()}
    assert norms == {norm_type}
    if norm_type == 'SyncBatchNorm':
        # As the tools do without CUDA: SyncBN runs as BN on a CPU.
        model = revert_sync_batchnorm(model)
        norm = model.stages[0][0].norm1
        assert isinstance(norm, torch.nn.modules.batchnorm._BatchNorm)
        assert not isinstance(norm, torch.nn.SyncBatchNorm)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.norm1.weight.detach().clone()
    sum(o.square().mean() for o in model(torch.randn(2, 3, 64, 64))).backward()
    optimizer.step()
    assert not torch.equal(before, model.norm1.weight)


def test_unknown_layer_types_are_refused_by_name():
    with pytest.raises(ValueError, match='NoSuchNorm'):
        PoolFormer('s12', norm_cfg=dict(type='NoSuchNorm'))
    with pytest.raises(ValueError, match='NoSuchAct'):
        PoolFormer('s12', act_cfg=dict(type='NoSuchAct'))
    with pytest.raises(ValueError, match='NoSuchMixer'):
        PoolFormer('s12', token_mixer=dict(type='NoSuchMixer'))
    with pytest.raises(TypeError, match='norm'):
        PoolFormer('s12', norm_cfg=3)


def test_with_cp_reruns_the_blocks_in_backward():
    model = PoolFormer('s12', with_cp=True).train()
    calls = []
    for stage in model.stages:
        for block in stage:
            block.register_forward_pre_hook(lambda *_: calls.append(1))
    outs = model(torch.randn(1, 3, 64, 64))
    assert len(calls) == 12
    sum(o.mean() for o in outs).backward()
    assert len(calls) == 24  # every block computed again for its gradients
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64))
    assert len(calls) == 36  # no checkpointing without gradients


def test_with_cp_lowers_the_peak_memory_of_a_training_step():
    """Measured as tools/benchmark_backbone.py measures it
    (mmpoolformer.analysis.peak_memory): each variant in a fresh process,
    the resident high-water mark of one step at 384x384, batch 2 (S12
    measured 0.57x at 512x512)."""
    from mmpoolformer.analysis.peak_memory import peak_memory
    peak = peak_memory('s12', 384, 'cpu')
    assert peak[False] > 100  # MB: the plain step's activations
    assert peak[True] < 0.8 * peak[False], peak
