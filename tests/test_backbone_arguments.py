"""Property-based tests of PoolFormer's arguments, with Hypothesis.

Any combination of arguments either builds a backbone that keeps its
promises on any input of at least 32x32 pixels (one output per
``out_indices`` entry, with ``model.out_channels`` channels and the size of
the convolution arithmetic), or is refused by the constructor with a
ValueError or TypeError that names a bad argument: never another exception,
never an error left for forward. Every listed bad value of every argument
is also tried on its own.

Models are tiny (one or two blocks a stage, at most 32 channels) and run on
one thread, so an example takes milliseconds; the file runs 585 examples.
With the environment variable CI set, they are derandomised, so that a CI
failure reproduces.
"""
import math
import re
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mmengine.config import Config

from mmpoolformer import PoolFormer

CONFIGS = Path(__file__).parents[1] / 'configs'
DIMS = (4, 8, 12, 16, 32)
MIXERS = ('pooling', 'attention', 'spatial_mlp', 'identity')
NORMS = ('gn', 'ln', 'bn')
ACTS = ('gelu', 'relu', 'silu')
# The arguments whose refusals must quote the bad value (or its bad entry);
# those of arch may quote an entry's entry, and init_cfg may clash with
# pretrained.
QUOTED = ('in_channels', 'pool_size', 'token_mixer', 'norm_cfg', 'act_cfg',
          'layer_scale_init_value', 'drop_rate', 'drop_path_rate',
          'out_indices', 'frozen_stages', 'norm_eval', 'with_cp',
          'channels_last', 'img_size', 'pos_embed', 'pretrained')

odd_sizes = st.integers(0, 4).map(lambda k: 2 * k + 1)
sequences = st.sampled_from([list, tuple])


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def feature_sizes(h: int, w: int, num_stages: int) -> List[Tuple[int, int]]:
    """(H, W) of each stage: stem k7 s4 p2, downsampling k3 s2 p1."""
    sizes = [(conv_out(h, 7, 4, 2), conv_out(w, 7, 4, 2))]
    while len(sizes) < num_stages:
        sizes.append(tuple(conv_out(n, 3, 2, 1) for n in sizes[-1]))
    return sizes


def divisors(n: int) -> List[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def parsed_out_indices(kwargs: Dict) -> List[int]:
    """The stages ``kwargs`` asks outputs of, counted from 0."""
    num_stages = len(kwargs['arch']['layers'])
    indices = kwargs.get('out_indices', (0, 1, 2, 3))
    indices = [indices] if isinstance(indices, int) else indices
    return [i % num_stages for i in indices]


# Valid arguments.


def mixers(stages: Dict[int, int], spatial: bool) -> st.SearchStrategy:
    """Token mixer configs that fit the ``{stage: channels}`` given."""
    dim = math.gcd(*stages.values())
    choices = [
        st.sampled_from(['pooling', 'identity', dict(type='Identity')]),
        odd_sizes.map(lambda k: dict(type='Pooling', pool_size=k)),
        st.sampled_from(divisors(dim)).map(
            lambda d: dict(type='Attention', head_dim=d)),
    ]
    if dim % 32 == 0:
        choices.append(st.just('attention'))
    if spatial:
        choices.append(st.sampled_from(['spatial_mlp',
                                        dict(type='SpatialMLP')]))
    return st.one_of(choices)


def norms(stages: Dict[int, int], spatial: bool) -> st.SearchStrategy:
    """Norm configs that fit the ``{stage: channels}`` given.

    No GroupNorm of one channel a group in the fourth stage (or later): on
    the 1x1 map of a 32-63 pixel input a group would hold one value, which
    ``F.group_norm`` refuses, a limit of the input size, not of the
    arguments.
    """
    one_value = {dim for stage, dim in stages.items() if stage >= 3}
    groups = [
        g for g in divisors(math.gcd(*stages.values())) if g not in one_value
    ]
    return st.one_of(
        st.sampled_from(NORMS + (dict(type='GN'), dict(type='LN2d'),
                                 dict(type='BN'))),
        st.sampled_from(groups).map(lambda g: dict(type='GN', num_groups=g)))


def acts(stages: Dict[int, int], spatial: bool) -> st.SearchStrategy:
    """Activation configs."""
    return st.sampled_from(ACTS + (dict(type='GELU'), dict(
        type='ReLU', inplace=True), dict(type='SiLU')))


@st.composite
def stage_cfgs(draw, layer_cfgs, dims: Sequence[int], spatial: bool):
    """One config for all stages (it must fit them all) or one a stage."""
    if draw(st.booleans()):
        return draw(layer_cfgs(dict(enumerate(dims)), spatial))
    return draw(sequences)(
        [draw(layer_cfgs({i: dim}, spatial)) for i, dim in enumerate(dims)])


@st.composite
def archs(draw) -> Dict:
    num_stages = draw(st.integers(1, 4))
    per_stage = dict(min_size=num_stages, max_size=num_stages)
    arch = dict(
        layers=draw(sequences)(draw(st.lists(st.integers(1, 2),
                                             **per_stage))),
        embed_dims=draw(sequences)(draw(st.lists(st.sampled_from(DIMS),
                                                 **per_stage))))
    if draw(st.booleans()):
        # int(4 * 0.25) leaves the narrowest MLP its one hidden channel.
        arch['mlp_ratios'] = draw(
            st.lists(st.sampled_from([0.25, 1, 1.5, 4]), **per_stage))
    if draw(st.booleans()):
        arch['layer_scale_init_value'] = draw(st.floats(-1, 1))
    return arch


@st.composite
def out_indices(draw, num_stages: int):
    """Increasing, distinct stages, each counted from either end."""
    stages = sorted(draw(st.sets(st.integers(0, num_stages - 1),
                                 min_size=1)))
    indices = [draw(st.sampled_from([i, i - num_stages])) for i in stages]
    if len(indices) == 1 and draw(st.booleans()):
        return indices[0]
    return draw(sequences)(indices)


def sizes(low: int, high: int) -> st.SearchStrategy:
    """An ``img_size``: an int or an (H, W) pair."""
    side = st.integers(low, high)
    return st.one_of(
        side, sequences.flatmap(lambda seq: st.tuples(side, side).map(seq)))


img_sizes = sizes(3, 300)


@st.composite
def valid_kwargs(draw, img_size=None) -> Dict:
    """PoolFormer arguments that must build; each optional one is left at
    its default or drawn. With ``img_size``, spatial MLPs may be drawn."""
    arch = draw(archs())
    dims = list(arch['embed_dims'])
    spatial = img_size is not None
    kwargs = dict(arch=arch)
    if len(dims) != 4 or draw(st.booleans()):
        kwargs['out_indices'] = draw(out_indices(len(dims)))
    optional = dict(
        in_channels=st.integers(1, 4),
        pool_size=odd_sizes,
        token_mixer=stage_cfgs(mixers, dims, spatial),
        norm_cfg=stage_cfgs(norms, dims, spatial),
        act_cfg=stage_cfgs(acts, dims, spatial),
        layer_scale_init_value=st.one_of(st.none(), st.floats(-1, 1)),
        drop_rate=st.floats(0, 1, exclude_max=True),
        # Rates that round to 1 in float32 are refused (see the issue's
        # examples below).
        drop_path_rate=st.floats(0, 0.999),
        frozen_stages=st.integers(-1,
                                  parsed_out_indices(kwargs)[-1] + 1),
        norm_eval=st.booleans(),
        with_cp=st.booleans(),
        channels_last=st.booleans(),
        img_size=img_sizes,
        pos_embed=st.one_of(
            st.booleans(),
            sequences.flatmap(lambda seq: st.lists(
                st.booleans(), min_size=len(dims),
                max_size=len(dims)).map(seq))),
        pretrained=st.just('never_loaded.pth'),
        init_cfg=st.sampled_from([
            None,
            dict(type='Kaiming', layer='Conv2d'),
            [dict(type='Normal', layer='Conv2d', std=0.01)],
        ]),
    )
    for name, strategy in optional.items():
        if draw(st.booleans()) and not (name == 'init_cfg'
                                        and 'pretrained' in kwargs):
            kwargs[name] = draw(strategy)
    if spatial:
        kwargs['img_size'] = img_size
    return kwargs


# Invalid arguments: for each, the bad values that must be refused (given
# the number of stages), all tried one by one, and a strategy that draws
# them or random ones.


def bad_stage_cfgs(bad: List, good: str, num_stages: int) -> List:
    """Bad layer configs for all stages, in the last stage's place, and
    lists of other lengths."""
    return bad + [[good] * (num_stages - 1) + [cfg] for cfg in bad] + [
        [good] * (num_stages - 1), [good] * (num_stages + 1)
    ]


BAD_RATES = [1, 1.0, 1.5, -0.1, -1e-9, math.nan, math.inf, True, None, '0.1',
             [0.1]]
BAD_BOOLS = [0, 1, None, 'True', 1.0, [True]]

BAD_VALUES = dict(
    arch=lambda n: [
        None, 3, 1.5, [2, 2, 6, 2], 's13', '', 'poolformer_s12',
        dict(layers=[1]),
        dict(embed_dims=[8]),
        dict(layers=[1], embed_dims=[8], depths=[1]),
        dict(layers=[], embed_dims=[]),
        dict(layers=[1, 1], embed_dims=[8]),
        dict(layers=[1], embed_dims=[8, 8]),
        dict(layers=1, embed_dims=8),
        dict(layers='1', embed_dims='8'),
        dict(layers=[1], embed_dims=[8], mlp_ratios=[4, 4]),
        dict(layers=[1], embed_dims=[8], mlp_ratios=4),
        dict(layers=[1], embed_dims=[8], mlp_ratios=[0.1]),
        dict(layers=[1], embed_dims=[8], layer_scale_init_value=None),
        dict(layers=[1], embed_dims=[8], layer_scale_init_value='1e-5'),
    ] + [{
        **dict(layers=[1, 2], embed_dims=[8, 16]), key: [1, value]
    } for key in ('layers', 'embed_dims', 'mlp_ratios')
         for value in (0, -1, True, None, '2', math.nan, math.inf)] + [
             dict(layers=[1, 1.5], embed_dims=[8, 16]),
             dict(layers=[1, 1], embed_dims=[8, 16.0]),
         ],
    in_channels=lambda n: [0, -1, 3.0, True, False, None, '3', [3]],
    pool_size=lambda n: [0, -1, -3, 2, 4, 3.0, True, None, '3', [3]],
    token_mixer=lambda n: bad_stage_cfgs([
        'pool', '', 'Pooling', None, 3, 1.5,
        dict(pool_size=3),
        dict(type='NoSuchMixer'),
        dict(type='Pooling', foo=1),
        dict(type='SpatialMLP', num_tokens=0),
    ] + [dict(type='Pooling', pool_size=k) for k in (0, -3, 2, 4, 3.0, True)]
      + [dict(type='Attention', head_dim=d)
         for d in (0, -4, 5, 7, 128, 4.0, True)], 'pooling', n),
    norm_cfg=lambda n: bad_stage_cfgs([
        'in', '', 'GN', None, 3,
        dict(num_groups=1),
        dict(type='NoSuchNorm'),
        dict(type='LN'),
        dict(type='LN2d', foo=1),
    ] + [dict(type='GN', num_groups=g)
         for g in (0, -1, 5, 7, 128, 1.5, True)], 'gn', n),
    act_cfg=lambda n: bad_stage_cfgs([
        'tanh', '', 'GELU', None, 3,
        dict(inplace=True),
        dict(type='NoSuchAct'),
        dict(type='ReLU', foo=1),
        dict(type='GELU', approximate='cubic'),
    ], 'gelu', n),
    layer_scale_init_value=lambda n: [
        math.nan, math.inf, -math.inf, '1e-5', True, [1e-5]
    ],
    drop_rate=lambda n: BAD_RATES,
    drop_path_rate=lambda n: BAD_RATES,
    out_indices=lambda n: [(), [], None, 1.0, (0.0, ), (True, ), True, '0',
                           '', {0}, n, -n - 1, (0, 0), (0, n), (n - 1, 0)],
    frozen_stages=lambda n: [-2, n + 1, 1.0, True, None, '1', [0]],
    norm_eval=lambda n: BAD_BOOLS,
    with_cp=lambda n: BAD_BOOLS,
    channels_last=lambda n: BAD_BOOLS,
    img_size=lambda n: [
        0, 2, -1, 224.0, None, True, '224', (224, ), (224, 224, 3),
        [224.0, 224], (True, 224), (224, 2)
    ],
    pos_embed=lambda n: [
        0, 1, None, 'True', 1.0, [True] * (n - 1), [True] * (n + 1),
        [True] * (n - 1) + [1], (None, ) * n
    ],
    pretrained=lambda n: [3, True, b'a.pth', Path('a.pth'), ['a.pth']],
    init_cfg=lambda n: [
        'Pretrained', 3, [3],
        dict(layer='Conv2d'), [dict(layer='Conv2d')], (dict(type='Kaiming'), ),
        dict(type='Pretrained'),
        dict(type='Pretrained', checkpoint=3),
        dict(type='Pretrained', checkpoint='a.pth', keep_classifier_norm=1)
    ],
)
# Beyond the listed values, random ones.
unknown_names = st.text(max_size=6).filter(
    lambda s: s not in MIXERS + NORMS + ACTS)
bad_rates = st.one_of(st.floats(min_value=1), st.floats(max_value=-1e-9))
MORE_BAD = dict(
    arch=lambda n: st.one_of(
        st.integers(), st.floats(),
        st.text(max_size=4).filter(
            lambda s: s.lower() not in PoolFormer.arch_settings)),
    in_channels=lambda n: st.one_of(st.integers(max_value=0), st.floats()),
    pool_size=lambda n: st.one_of(
        st.integers(max_value=0), st.integers(1, 10).map(lambda k: 2 * k),
        st.floats()),
    token_mixer=lambda n: unknown_names,
    norm_cfg=lambda n: unknown_names,
    act_cfg=lambda n: unknown_names,
    layer_scale_init_value=lambda n: st.text(),
    drop_rate=lambda n: bad_rates,
    drop_path_rate=lambda n: bad_rates,
    out_indices=lambda n: st.one_of(
        st.integers(min_value=n), st.integers(max_value=-n - 1),
        st.text(max_size=3)),
    frozen_stages=lambda n: st.one_of(
        st.integers(max_value=-2), st.integers(min_value=n + 1), st.floats()),
    norm_eval=lambda n: st.one_of(st.integers(), st.text(max_size=3)),
    with_cp=lambda n: st.one_of(st.integers(), st.text(max_size=3)),
    channels_last=lambda n: st.one_of(st.integers(), st.text(max_size=3)),
    img_size=lambda n: st.one_of(
        st.integers(max_value=2), st.floats(),
        st.tuples(st.integers(3, 300), st.integers(max_value=2))),
    pos_embed=lambda n: st.one_of(
        st.integers(), st.text(max_size=3),
        st.lists(st.booleans()).filter(lambda flags: len(flags) != n)),
    pretrained=lambda n: st.integers(),
    init_cfg=lambda n: st.integers(),
)


def invalid(name: str, num_stages: int) -> st.SearchStrategy:
    """A bad value of argument ``name``: a listed one, or a random one."""
    return st.one_of(
        st.sampled_from(BAD_VALUES[name](num_stages)),
        MORE_BAD[name](num_stages))


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Runs the tiny models on one thread: faster than two, which fight
    over the cores with each other (and with any other job there)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# The property every backbone that builds must have.


def check_promises(model: PoolFormer,
                   kwargs: Dict,
                   data,
                   at_img_size: bool = False) -> None:
    """Runs ``model`` on a random input of at least 32x32 pixels, or of
    ``img_size`` (a spatial MLP takes no other), and checks what it
    returns."""
    dims = list(kwargs['arch']['embed_dims'])
    stages = parsed_out_indices(kwargs)
    assert model.out_indices == tuple(stages)
    assert model.out_channels == [dims[i] for i in stages]
    if at_img_size:
        size = kwargs['img_size']
        h, w = (size, size) if isinstance(size, int) else size
    else:
        h = data.draw(st.integers(32, 64), label='height')
        w = data.draw(st.integers(32, 64), label='width')
    training = data.draw(st.booleans(), label='training')
    # Training BatchNorm needs two values a channel; the last of four
    # stages on a 32-pixel input has one position.
    batch = data.draw(st.integers(2 if training else 1, 3), label='batch')
    x = torch.randn(batch, kwargs.get('in_channels', 3), h, w)
    model.train(training)
    with torch.set_grad_enabled(training):
        outs = model(x)
    sizes = feature_sizes(h, w, len(dims))
    assert isinstance(outs, tuple) and len(outs) == len(stages)
    for out, i in zip(outs, stages):
        assert out.shape == (batch, dims[i], *sizes[i])
        assert torch.isfinite(out).all()
    loss = sum(out.mean() for out in outs)
    if loss.requires_grad:  # unless every stage is frozen
        loss.backward()


def names_value(message: str, value) -> bool:
    """Whether ``message`` quotes ``value``, or a sequence's entry."""
    if repr(value) in message:
        return True
    return isinstance(value, (list, tuple)) and any(
        repr(v) in message for v in value)


@settings(max_examples=80)
@given(kwargs=valid_kwargs(), data=st.data())
def test_valid_arguments_build_a_backbone_that_keeps_its_promises(
        kwargs, data):
    torch.manual_seed(0)
    check_promises(PoolFormer(**kwargs), kwargs, data)


@settings(max_examples=25)
@given(kwargs=sizes(32, 64).flatmap(lambda size: valid_kwargs(img_size=size)),
       data=st.data())
def test_spatial_mlp_keeps_its_promises_at_img_size(kwargs, data):
    torch.manual_seed(0)
    check_promises(PoolFormer(**kwargs), kwargs, data, at_img_size=True)


def refusal(kwargs: Dict, bad: Sequence[str]) -> str:
    """The message of the ValueError or TypeError that refuses ``kwargs``,
    whose ``bad`` arguments are invalid; it must name one of them."""
    with pytest.raises((ValueError, TypeError)) as error:
        PoolFormer(**kwargs)
    message = str(error.value)
    assert any(name in message for name in bad), message
    return message


TINY = dict(layers=[1, 1, 1, 1], embed_dims=[8, 16, 32, 64])
LISTED_BAD = [(name, value) for name, values in BAD_VALUES.items()
              for value in values(len(TINY['layers']))]


@pytest.mark.parametrize(
    'name, value', LISTED_BAD,
    ids=[f'{name}={value!r}'[:60] for name, value in LISTED_BAD])
def test_each_listed_bad_value_is_refused_naming_it(name, value):
    message = refusal({'arch': TINY, name: value}, [name])
    if name in QUOTED:
        assert names_value(message, value), message


@pytest.mark.parametrize('name', sorted(BAD_VALUES))
@settings(max_examples=20)
@given(kwargs=valid_kwargs(), data=st.data())
def test_an_invalid_argument_is_refused_naming_it_and_its_value(
        name, kwargs, data):
    kwargs[name] = data.draw(invalid(name, len(kwargs['arch']['layers'])),
                             label=name)
    message = refusal(kwargs, [name])
    if name in QUOTED:
        assert names_value(message, kwargs[name]), message


@settings(max_examples=120)
@given(kwargs=valid_kwargs(), data=st.data())
def test_any_arguments_build_or_are_refused_by_name(kwargs, data):
    """Some arguments of a valid set (perhaps none) made invalid: the set
    builds if none was, else the refusal names one of them."""
    num_stages = len(kwargs['arch']['layers'])
    bad = data.draw(st.sets(st.sampled_from(sorted(BAD_VALUES)), max_size=4),
                    label='bad arguments')
    for name in sorted(bad):
        kwargs[name] = data.draw(invalid(name, num_stages), label=name)
    torch.manual_seed(0)
    if bad:
        refusal(kwargs, bad)
    else:
        check_promises(PoolFormer(**kwargs), kwargs, data)


# The examples of the issue, and what must go on building.


@pytest.mark.parametrize('kwargs, argument, value', [
    (dict(drop_path_rate=1.5), 'drop_path_rate', '1.5'),
    (dict(drop_path_rate=-0.1), 'drop_path_rate', '-0.1'),
    # 1 in float32, where the blocks' rates are: NaN in training, before.
    (dict(drop_path_rate=0.9999999999999998), 'drop_path_rate',
     '0.9999999999999998'),
    (dict(arch=dict(layers=[2, 0, 6, 2], embed_dims=[64, 128, 320, 512])),
     'arch["layers"][1]', '0'),
    (dict(pool_size=0), 'pool_size', '0'),
    (dict(pool_size=4), 'pool_size', '4'),
    (dict(pool_size=-3), 'pool_size', '-3'),
    (dict(in_channels=0), 'in_channels', '0'),
    (dict(arch=dict(layers=[2, 2, 6, 2], embed_dims=[64, 0, 320, 512])),
     'arch["embed_dims"][1]', '0'),
    (dict(out_indices=()), 'out_indices', '()'),
    (dict(out_indices='0'), 'out_indices', "'0'"),
    (dict(token_mixer=dict(type='Attention', head_dim=48)), 'head_dim',
     '48'),
    (dict(norm_cfg=dict(type='LN')), 'norm_cfg', "{'type': 'LN'}"),
    (dict(out_indices=(0, ), token_mixer=('pooling', 'pool', 'pooling',
                                          'pooling')), 'token_mixer',
     "'pool'"),
    # None is no layer config, in a stage that is not built too.
    (dict(out_indices=(0, ), token_mixer=('pooling', None, 'pooling',
                                          'pooling')), 'token_mixer', 'None'),
    (dict(out_indices=(0, ), norm_cfg=('gn', 'gn', None, 'gn')), 'norm_cfg',
     'None'),
    (dict(out_indices=(1, ), act_cfg=('gelu', 'gelu', 'gelu', None)),
     'act_cfg', 'None'),
])
def test_issue_examples_are_refused_by_name(kwargs, argument, value):
    with pytest.raises((ValueError, TypeError),
                       match=re.escape(argument)) as error:
        PoolFormer(**kwargs)
    assert value in str(error.value)


HIDDEN = 'expansion_ratio must leave SepConv at least one hidden channel'
NUMBER = 'expansion_ratio must be a finite number >= 0'
ODD = 'kernel_size must be an odd positive int'


@pytest.mark.parametrize('kwargs, message', [
    (dict(expansion_ratio=0), HIDDEN),
    (dict(expansion_ratio=0.001), HIDDEN),
    (dict(expansion_ratio=-1), NUMBER),
    (dict(expansion_ratio=math.inf), NUMBER),
    (dict(expansion_ratio='2'), NUMBER),
    (dict(expansion_ratio=True), NUMBER),
    (dict(kernel_size=0), ODD),
    (dict(kernel_size=2), ODD),
    (dict(kernel_size=7.0), ODD),
])
def test_sepconv_refuses_its_bad_arguments_by_name(kwargs, message):
    """By SepConv itself, and so in a backbone's stage that is not built
    (where nothing runs it)."""
    from mmpoolformer.models.layers import SepConv
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        SepConv(64, **kwargs)
    mixers = ('pooling', ) * 3 + (dict(type='SepConv', **kwargs), )
    with pytest.raises((ValueError, TypeError),
                       match=re.escape(message)) as error:
        PoolFormer(out_indices=(0, ), token_mixer=mixers)
    assert 'token_mixer' in str(error.value)


@pytest.mark.parametrize('arch', sorted(PoolFormer.arch_settings))
def test_paper_archs_build(arch):
    assert PoolFormer(arch).out_channels[-1] in (512, 768)


@pytest.mark.parametrize(
    'path', sorted((CONFIGS / 'ablations').glob('*.py')), ids=lambda p: p.stem)
def test_ablation_backbones_build(path):
    backbone = Config.fromfile(path).model.backbone.to_dict()
    backbone.pop('type')
    PoolFormer(**backbone)


def test_spatial_mlp_is_built_for_the_conv_arithmetic():
    """An img_size whose stem output is not the ceiling of a quarter (225
    gives 56, not 57) still makes a spatial MLP that runs on it."""
    model = PoolFormer(
        dict(layers=[1, 1], embed_dims=[8, 16]), out_indices=(0, 1),
        token_mixer='spatial_mlp', img_size=(225, 226))
    assert [s[0].token_mixer.num_tokens for s in model.stages] == [
        56 * 56, 28 * 28
    ]
    assert model(torch.randn(1, 3, 225, 226))[1].shape == (1, 16, 28, 28)
