"""The backbone contract of the MetaFormer Baselines (PoolFormerV2, ConvFormer,
CAFormer), as PoolFormer keeps it: outputs chosen by ``out_indices``, each
through a norm of its own; stages after the last output not built;
``frozen_stages``, ``norm_eval``, ``with_cp`` and ``drop_path_rate`` doing
what they say; bad arguments refused by name; CAFormer on inputs of any
size; and a build through the registry inside an mmdet detector.

Forward passes run a tiny arch of each family (one or two blocks a stage,
CAFormer's attention included); the real archs are built without one, but
for the detector's training step.
"""
import pytest
import torch
import torch.nn as nn

from mmpoolformer.models.backbones.metaformer import \
    MetaFormerBaseline
from mmpoolformer.models.layers import add_pos_embed, build_token_mixer
from mmpoolformer.registry import MODELS

# Every family registered: the tests below loop over what is found here.
FAMILIES = sorted((cls for cls in MODELS.module_dict.values()
                   if isinstance(cls, type)
                   and issubclass(cls, MetaFormerBaseline)),
                  key=lambda cls: cls.__name__)
NAMES = [cls.__name__ for cls in FAMILIES]
# Six blocks; 64 and 96 channels give CAFormer's attention 2 and 3 heads.
TINY = dict(layers=[1, 2, 2, 1], embed_dims=[16, 32, 64, 96])


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def stage_sizes(h: int, w: int):
    """(H, W) of each stage's map: stem k7 s4 p2, downsampling k3 s2 p1."""
    sizes = [(conv_out(h, 7, 4, 2), conv_out(w, 7, 4, 2))]
    for _ in range(3):
        sizes.append(tuple(conv_out(n, 3, 2, 1) for n in sizes[-1]))
    return sizes


def loss_of(outs):
    """A loss of the outputs that their LayerNorms do not make constant
    (the mean square or the sum over channels would be)."""
    return sum((out * torch.linspace(-1, 2, out.shape[1])[:, None, None]
                ).square().mean() for out in outs)


def twin(model: MetaFormerBaseline, **kwargs) -> MetaFormerBaseline:
    """A model of the same family and arch with ``model``'s weights."""
    copy = type(model)(TINY, **kwargs)
    copy.load_state_dict(model.state_dict())
    return copy


def test_every_family_is_covered():
    assert NAMES == ['CAFormer', 'ConvFormer', 'PoolFormerV2']


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
@pytest.mark.parametrize('out_indices, stages', [
    ((0, 1, 2, 3), [0, 1, 2, 3]),
    ((1, 2, 3), [1, 2, 3]),
    ((-4, -2), [0, 2]),
    (-3, [1]),
    (2, [2]),
])
def test_out_indices_choose_the_outputs_each_through_its_norm(
        family, out_indices, stages):
    model = family(TINY, out_indices=out_indices).eval()
    assert model.out_indices == tuple(stages)
    assert model.out_channels == [TINY['embed_dims'][i] for i in stages]
    assert [info['num_chs'] for info in model.feature_info] == \
        model.out_channels
    assert [info['reduction'] for info in model.feature_info] == [
        4 * 2**i for i in stages
    ]
    # A norm for each output, none for the other stages; none built after
    # the last output.
    assert [i for i in range(4) if hasattr(model, f'norm{i}')] == stages
    assert len(model.stages) == len(model.downsample_layers) == \
        stages[-1] + 1
    seen = []
    for stage in model.stages:
        stage.register_forward_hook(lambda _, __, out: seen.append(out))
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        outs = model(x)
    assert isinstance(outs, tuple) and len(outs) == len(stages)
    sizes = stage_sizes(64, 96)
    for out, i, channels, info in zip(outs, stages, model.out_channels,
                                      model.feature_info):
        assert out.shape == (2, channels, *sizes[i])
        assert 64 // out.shape[2] == 96 // out.shape[3] == info['reduction']
        normed = model.output_norm(i)(seen[i]).permute(0, 3, 1, 2)
        assert torch.equal(out, normed)
        assert out.is_contiguous()


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
def test_stages_after_the_last_output_hold_no_parameters(family):
    model = family(TINY, out_indices=(0, 1)).train()
    names = [name for name, _ in model.named_parameters()]
    assert not [n for n in names if n.startswith(('stages.2', 'stages.3'))]
    assert not [
        n for n in names
        if n.startswith(('downsample_layers.2', 'downsample_layers.3'))
    ]
    loss_of(model(torch.randn(2, 3, 64, 64))).backward()
    # Every parameter takes part: DDP needs no find_unused_parameters.
    assert [n for n, p in model.named_parameters() if p.grad is None] == []


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
def test_real_arch_builds_only_up_to_its_last_output(family):
    """The family's default arch (PoolFormerV2-S12, ConvFormer-S18,
    CAFormer-S18), without a forward pass; drop path rates rise over all
    its blocks, those not built included."""
    arch = family.arch_settings[family.default_arch]
    model = family(out_indices=(1, 2), drop_path_rate=0.3)
    assert model.out_channels == arch['embed_dims'][1:3]
    assert [info['reduction'] for info in model.feature_info] == [8, 16]
    assert [len(stage) for stage in model.stages] == arch['layers'][:3]
    assert not any(
        name.startswith(('stages.3', 'downsample_layers.3', 'norm0', 'norm3'))
        for name, _ in model.named_parameters())
    rates = torch.linspace(0, 0.3, sum(arch['layers'])).tolist()
    built = [
        getattr(block.drop_path, 'drop_prob', 0.) for stage in model.stages
        for block in stage
    ]
    assert built == pytest.approx(rates[:len(built)])


def frozen_prefixes(frozen_stages: int):
    if frozen_stages < 0:
        return ()
    return ('downsample_layers.0.', ) + tuple(
        f'{part}.{i}.' for i in range(frozen_stages)
        for part in ('downsample_layers', 'stages')) + tuple(
            f'norm{i}.' for i in range(frozen_stages))


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
@pytest.mark.parametrize('frozen_stages', [-1, 0, 2, 4])
def test_frozen_stages_stay_frozen_through_train_and_a_step(
        family, frozen_stages):
    model = family(TINY, frozen_stages=frozen_stages).train()
    frozen = frozen_prefixes(frozen_stages)
    for name, param in model.named_parameters():
        assert param.requires_grad is not name.startswith(frozen), name
    for name, module in model.named_modules():
        if name:
            assert module.training is not f'{name}.'.startswith(frozen), \
                name
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    if trainable:
        optimizer = torch.optim.SGD(trainable, lr=0.1)
        loss_of(model(torch.randn(2, 3, 64, 64))).backward()
        optimizer.step()
    for name, param in model.named_parameters():
        is_frozen = name.startswith(frozen)
        assert (param.grad is None) is is_frozen, name
        assert torch.equal(param, before[name]) is is_frozen, name


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
def test_frozen_stages_run_in_eval_mode_while_training(family):
    """With dropout and drop path everywhere, the outputs of the frozen
    stages are the same in train and eval mode; the others' are not."""
    model = family(TINY, frozen_stages=2, drop_rate=0.5,
                   drop_path_rate=0.5).train()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.manual_seed(0)
        training = model(x)
        model.eval()
        evaluating = model(x)
    assert torch.equal(training[1], evaluating[1])
    assert not torch.equal(training[3], evaluating[3])


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
def test_norm_eval_is_accepted_and_leaves_the_layer_norms_alone(family):
    """The norms act on the last dimension of channels-last maps, which
    BatchNorm does not take (it is refused, see below): ``norm_eval``,
    which only keeps BatchNorm in eval mode, changes nothing."""
    model = family(TINY, norm_eval=True).train()
    assert not any(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in model.modules())
    assert all(m.training for m in model.modules())
    plain = twin(model).train()
    x = torch.randn(2, 3, 64, 64)
    for out, expected in zip(model(x), plain(x), strict=True):
        assert torch.equal(out, expected)


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
@pytest.mark.parametrize('argument', [
    'norm_cfg', 'downsample_norm_cfg', 'out_norm_cfg'
])
@pytest.mark.parametrize('norm', ['BN', 'SyncBN', 'GN', 'LN2d'])
def test_norms_of_channels_first_maps_are_refused_by_argument(
        family, argument, norm):
    with pytest.raises(ValueError, match=f"{argument} .*'{norm}'.*"
                       r'\(N, H, W, C\)'):
        family(TINY, **{argument: dict(type=norm)})


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
def test_with_cp_gives_the_same_outputs_and_gradients(family):
    plain = family(TINY).train()
    checkpointed = twin(plain, with_cp=True).train()
    calls = []
    for stage in checkpointed.stages:
        for block in stage:
            block.register_forward_pre_hook(lambda *_: calls.append(1))
    x = torch.randn(2, 3, 64, 64)
    outs = [model(x) for model in (plain, checkpointed)]
    for out, expected in zip(outs[1], outs[0], strict=True):
        assert torch.equal(out, expected)
    for model, out in zip((plain, checkpointed), outs):
        loss_of(out).backward()
    assert len(calls) == 2 * 6  # each block ran again in backward
    grads = dict(checkpointed.named_parameters())
    for name, param in plain.named_parameters():
        assert torch.allclose(param.grad, grads[name].grad, atol=1e-6), name


@pytest.mark.parametrize('family', FAMILIES, ids=NAMES)
def test_drop_path_rises_linearly_and_acts_in_train_mode_only(family):
    model = family(TINY, drop_path_rate=0.5)
    rates = [
        getattr(block.drop_path, 'drop_prob', 0.) for stage in model.stages
        for block in stage
    ]
    assert rates == pytest.approx([0.1 * i for i in range(6)])
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        model.train()
        torch.manual_seed(0)
        first = model(x)[-1]
        torch.manual_seed(1)
        assert not torch.equal(model(x)[-1], first)
        model.eval()
        assert torch.equal(model(x)[-1], model(x)[-1])
        assert torch.equal(model(x)[-1], twin(model).eval()(x)[-1])


@pytest.mark.parametrize('kwargs, error, argument', [
    (dict(arch='s99'), ValueError, 'arch'),
    (dict(arch=3), TypeError, 'arch'),
    (dict(arch=dict(layers=[1, 1], embed_dims=[8])), ValueError, 'arch'),
    (dict(out_indices=4), ValueError, 'out_indices'),
    (dict(out_indices=-5), ValueError, 'out_indices'),
    (dict(out_indices=(1, 1)), ValueError, 'out_indices'),
    (dict(out_indices=(2, 1)), ValueError, 'out_indices'),
    (dict(out_indices=()), ValueError, 'out_indices'),
    (dict(out_indices=1.5), TypeError, 'out_indices'),
    (dict(frozen_stages=-2), ValueError, 'frozen_stages'),
    (dict(frozen_stages=5), ValueError, 'frozen_stages'),
    (dict(out_indices=(0, 1), frozen_stages=3), ValueError, 'frozen_stages'),
    (dict(frozen_stages=True), TypeError, 'frozen_stages'),
    (dict(token_mixer=dict(type='NoSuchMixer')), ValueError, 'token_mixer'),
    (dict(token_mixer='pool'), ValueError, 'token_mixer'),
    (dict(token_mixer=3), TypeError, 'token_mixer'),
    (dict(token_mixer=('sepconv', 'sepconv')), ValueError, 'token_mixer'),
    (dict(token_mixer=dict(type='Attention', head_dim=0)), ValueError,
     'token_mixer'),
    # mmcv's zero padding, found upstream: it pads W and C.
    (dict(token_mixer=dict(type='zero', padding=1)), ValueError,
     'token_mixer'),
    (dict(norm_cfg=dict(type='NoSuchNorm')), ValueError, 'norm_cfg'),
    (dict(norm_cfg=dict(type='LN', foo=1)), TypeError, 'norm_cfg'),
    (dict(downsample_norm_cfg=dict(type='NoSuchNorm')), ValueError,
     'downsample_norm_cfg'),
    (dict(out_norm_cfg='nope'), ValueError, 'out_norm_cfg'),
    (dict(act_cfg=dict(type='NoSuchAct')), ValueError, 'act_cfg'),
    (dict(in_channels=0), ValueError, 'in_channels'),
    (dict(drop_rate=1.), ValueError, 'drop_rate'),
    (dict(drop_path_rate=1.), ValueError, 'drop_path_rate'),
    (dict(drop_path_rate=-0.1), ValueError, 'drop_path_rate'),
    (dict(layer_scale_init_value='1e-5'), TypeError,
     'layer_scale_init_value'),
    (dict(res_scale_init_value=(1., 1.)), ValueError,
     'res_scale_init_value'),
    (dict(norm_eval=1), TypeError, 'norm_eval'),
    (dict(with_cp='yes'), TypeError, 'with_cp'),
    (dict(channels_last=None), TypeError, 'channels_last'),
    (dict(pretrained=3), TypeError, 'pretrained'),
])
def test_bad_arguments_are_refused_by_name(kwargs, error, argument):
    for family in FAMILIES:
        kwargs = {'arch': TINY, **kwargs}
        with pytest.raises(error, match=argument):
            family(**kwargs)


def test_a_mixer_that_changes_the_shape_is_refused_with_both_shapes():
    """Run on stage 0's map of a 224 x 160 input (img_size), 56 x 40."""
    with pytest.raises(ValueError, match=r'token_mixer.*must keep the shape'
                       r'.*\(1, 56, 40, 16\) into \(1, 56, 42, 18\)'):
        FAMILIES[0](TINY, token_mixer=dict(type='zero', padding=1),
                    img_size=(224, 160))


@pytest.mark.parametrize('size', [(97, 131), (33, 33), (40, 120), (131, 57)])
def test_caformer_takes_inputs_of_any_size(size):
    """Odd sides, the smallest that leaves the last stage one position, and
    non-square ones both ways; the attention stages see every size."""
    from mmpoolformer import CAFormer
    model = CAFormer(TINY).train()
    x = torch.randn(2, 3, *size, requires_grad=True)
    outs = model(x)
    for out, (h, w), channels in zip(outs, stage_sizes(*size),
                                     TINY['embed_dims']):
        assert out.shape == (2, channels, h, w)
        assert torch.isfinite(out).all()
    loss_of(outs).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is not None and torch.isfinite(p.grad).all()
               for p in model.parameters())


def test_caformer_config_builds_from_the_mmdet_scope_and_trains():
    """configs/retinanet_caformer_s18_coco.py (``type=
    'mmpoolformer.CAFormer'`` in an mmdet RetinaNet) builds through mmdet's
    registry and takes a training step on two random 64x96 images."""
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmengine.registry import DefaultScope
    from test_configs import det_batch, load

    from mmpoolformer import CAFormer
    cfg = load('retinanet_caformer_s18_coco.py')
    assert cfg.default_scope == 'mmdet'
    assert cfg.model.backbone.type == 'mmpoolformer.CAFormer'
    cfg.model.backbone.init_cfg = None  # no download
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MMDET_MODELS.build(cfg.model)
    assert type(model).__name__ == 'RetinaNet'
    assert isinstance(model.backbone, CAFormer)
    assert model.backbone.out_channels == cfg.model.neck.in_channels
    model.train()
    before = model.backbone.stages[1][0].token_mixer.pwconv1.weight.clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    data = model.data_preprocessor(det_batch(with_mask=False), True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    assert torch.isfinite(loss)
    loss.backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []
    optimizer.step()
    assert not torch.equal(
        before, model.backbone.stages[1][0].token_mixer.pwconv1.weight)


@pytest.mark.parametrize('cfg', [
    dict(type='Pooling'),
    dict(type='Attention', head_dim=8, proj_bias=True),
    dict(type='SpatialMLP', num_tokens=6 * 7),
    dict(type='SepConv'),
])
def test_a_mixer_mixes_the_same_in_both_layouts(cfg):
    """With the same weights, a mixer of channels-last (N, H, W, C) maps
    gives the map a mixer of (N, C, H, W) maps gives, permuted: the layout
    moves the channels, it does not change what is mixed (a 6 x 7 map of 16
    channels: every dimension tells apart)."""
    torch.manual_seed(0)
    first = build_token_mixer(cfg, dim=16)
    last = build_token_mixer(cfg, dim=16, nhwc=True)
    last.load_state_dict(first.state_dict())
    x = torch.randn(2, 16, 6, 7)
    assert (first.nhwc, last.nhwc) == (False, True)
    torch.testing.assert_close(
        last(x.permute(0, 2, 3, 1)), first(x).permute(0, 2, 3, 1))


def test_a_position_embedding_adds_the_same_in_both_layouts():
    """Resized to a 6 x 7 map from 4 x 5, as on an input of another size."""
    torch.manual_seed(0)
    x, embed = torch.randn(2, 16, 6, 7), torch.randn(1, 16, 4, 5)
    torch.testing.assert_close(
        add_pos_embed(x.permute(0, 2, 3, 1), embed, nhwc=True),
        add_pos_embed(x, embed).permute(0, 2, 3, 1))


def test_every_family_takes_every_mixer():
    """Each family builds every registered mixer for its own layout and
    trains with it; a config cannot set another layout."""
    from mmpoolformer import PoolFormer
    mixers = ('pooling', 'attention', 'spatial_mlp', 'sepconv')
    families = [PoolFormer, *FAMILIES]
    for family in families:
        model = family(TINY, token_mixer=mixers, img_size=64,
                       pos_embed=(False, False, True, True)).train()
        assert [s[0].token_mixer.nhwc for s in model.stages] == \
            [family.nhwc] * 4
        sum(o.square().mean()
            for o in model(torch.randn(2, 3, 64, 64))).backward()
        assert all(p.grad is not None for p in model.parameters())
        with pytest.raises(ValueError, match='token_mixer.*nhwc'):
            family(TINY, token_mixer=dict(type='Pooling', nhwc=True))
    assert len(families) == 4


def test_pool_size_sets_the_window_of_every_familys_pooling():
    """PoolFormerV2's default mixer included."""
    from mmpoolformer import PoolFormer, PoolFormerV2
    windows = [
        {block.token_mixer.pool.kernel_size for stage in model.stages
         for block in stage}
        for model in (*(family(TINY, token_mixer='pooling', pool_size=5)
                        for family in [PoolFormer, *FAMILIES]),
                      PoolFormerV2(TINY, pool_size=7))
    ]
    assert windows == [{5}] * 4 + [{7}]
