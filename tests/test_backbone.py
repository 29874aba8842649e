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
        p.numel() for i in (0, 1, 2) for p in getattr(model,
                                                      f'norm{i}').parameters())
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
        else 0. for stage in model.stages for block in stage.blocks
    ]
    assert len(rates) == 12
    assert rates == pytest.approx([0.02 * i for i in range(12)])


def test_layer_scale_defaults_follow_arch():
    assert PoolFormer('s24').stages[0].blocks[0].layer_scale_1[0].item() == \
        pytest.approx(1e-5)
    assert PoolFormer('s36').stages[0].blocks[0].layer_scale_1[0].item() == \
        pytest.approx(1e-6)
    custom = PoolFormer(
        dict(layers=[1, 1, 1, 1], embed_dims=[8, 16, 32, 64]),
        layer_scale_init_value=0.5)
    assert custom.stages[3].blocks[0].layer_scale_2[0].item() == 0.5
    assert custom.out_channels == [8, 16, 32, 64]


def test_out_indices_select_and_negative_indices():
    model = PoolFormer('s12', out_indices=(-3, -1)).eval()
    assert model.out_indices == (1, 3)
    assert not hasattr(model, 'norm0') and not hasattr(model, 'norm2')
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [128, 512]


def test_stages_after_last_output_are_not_built():
    model = PoolFormer('s12', out_indices=(0, 1))
    assert len(model.stages) == 2
    outs = model(torch.randn(1, 3, 64, 64))
    sum(o.sum() for o in outs).backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert unused == []


@pytest.mark.parametrize('frozen_stages', [0, 2])
def test_frozen_stages_stay_frozen_after_train(frozen_stages):
    model = PoolFormer('s12', frozen_stages=frozen_stages)
    model.train()
    frozen = ['patch_embed.'] + [f'stages.{i}.' for i in range(frozen_stages)
                                 ] + [f'norm{i}.' for i in range(frozen_stages)]
    outs = model(torch.randn(2, 3, 64, 64))
    sum(o.sum() for o in outs).backward()
    for name, param in model.named_parameters():
        is_frozen = name.startswith(tuple(frozen))
        assert param.requires_grad is not is_frozen, name
        assert (param.grad is None) is is_frozen, name
    assert not model.patch_embed.training
    for i, stage in enumerate(model.stages):
        assert stage.training is (i >= frozen_stages)


def test_nothing_frozen_by_default():
    model = PoolFormer('s12').train()
    assert all(p.requires_grad for p in model.parameters())


def test_norm_eval_keeps_batchnorm_statistics():
    model = PoolFormer('s12', norm='bn', norm_eval=True).train()
    bn = model.stages[1].blocks[0].norm1
    assert isinstance(bn, torch.nn.BatchNorm2d) and not bn.training
    before = bn.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(before, bn.running_mean)
    moving = PoolFormer('s12', norm='bn').train()
    moving(torch.randn(2, 3, 64, 64))
    assert not torch.equal(moving.stages[1].blocks[0].norm1.running_mean,
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
    dict(norm='ln', act='relu'),
    dict(norm='bn', act='silu'),
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
        norm=('gn', 'gn', 'ln', 'ln'),
        img_size=(64, 96))
    mixers = [type(s.blocks[0].token_mixer) for s in model.stages]
    assert mixers == [Pooling, Pooling, Attention, SpatialMLP]
    assert model.stages[3].blocks[0].token_mixer.num_tokens == 2 * 3
    assert isinstance(model.stages[2].blocks[0].norm1, LayerNorm2d)
    assert isinstance(model.norm3, LayerNorm2d)
    plain = PoolFormer('s12')
    assert sum(p.numel() for p in model.parameters()) > sum(
        p.numel() for p in plain.parameters())


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
