"""Inference fusion, channels-last and torch.compile give the same numbers
(within 1e-4, float reassociation; the issue's bound)."""
import pytest
import torch
from conftest import randomize_

from mmpoolformer import CAFormer, ConvFormer, PoolFormer, PoolFormerV2
from mmpoolformer.engine import fuse_backbones
from mmpoolformer.models.layers import (MetaFormerBlock, Mlp, Scale, SepConv,
                                        onednn_mlp)
from mmpoolformer.models.layers.fuse import (InPlaceSquaredReLU,
                                             InPlaceStarReLU, fuse_block)

X = torch.randn(2, 3, 97, 131)


def twin(source, **kwargs):
    model = PoolFormer('s12', **kwargs)
    model.load_state_dict(source.state_dict())
    return model


@pytest.fixture(scope='module')
def plain():
    return randomize_(PoolFormer('s12'), seed=5).eval()


def assert_same(outs, expected, atol=1e-4):
    assert len(outs) == len(expected)
    for a, e in zip(outs, expected):
        assert a.shape == e.shape
        assert (a - e).abs().max().item() < atol


@pytest.mark.parametrize('channels_last', [False, True])
def test_fused_equals_unfused(plain, channels_last):
    fused = twin(plain, channels_last=channels_last).fuse()
    blocks = [b for s in fused.stages for b in s]
    assert len(blocks) == 12
    # The norms' affines went into the layer scale before the pooling and
    # into fc1, the second layer scale into fc2.
    assert all(type(b) is MetaFormerBlock and b.fused
               and b.norm1.weight is None and b.norm2.weight is None
               and type(b.layer_scale2) is torch.nn.Identity for b in blocks)
    with torch.no_grad():
        assert_same(fused(X), plain(X))


@pytest.mark.parametrize('channels_last', [False, True])
def test_fused_inference_paths_agree_and_leave_the_input_alone(
        plain, channels_last):
    """Without autograd a fused block writes over its own tensors (and, on
    channels-last CPU tensors, fuses its MLP tails with oneDNN); with
    autograd it runs plain ops. Both equal the unfused model."""
    fused = twin(plain, channels_last=channels_last).fuse()
    block = fused.stages[0][0]
    x = torch.randn(2, 64, 24, 40)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    mlp = block.mlp
    assert onednn_mlp.can_run(x, mlp) == channels_last
    calls = []
    mlp.fc1.register_forward_hook(lambda *_: calls.append('fc1'))
    given = x.clone()
    with torch.no_grad():
        in_place = block(x)
    out_of_place = block(x)
    assert torch.equal(x, given)
    # The oneDNN path calls fc1's weights directly, not the module.
    assert calls == (['fc1'] if channels_last else ['fc1', 'fc1'])
    assert (in_place - out_of_place).abs().max().item() < 1e-5
    with torch.no_grad():
        assert_same(fused(X), plain(X))
        assert_same(fused(X.clone()), fused(X))


def test_onednn_mlp_equals_the_plain_mlp():
    torch.manual_seed(0)
    mlp = Mlp(32, 128, torch.nn.GELU(), bias=True, nhwc=False)
    x, y = (torch.randn(2, 32, 9, 13).contiguous(
        memory_format=torch.channels_last) for _ in range(2))
    with torch.no_grad():
        expected = x + mlp(y)
        out = onednn_mlp.mlp_add_(x, y, mlp)
    assert out.data_ptr() == x.data_ptr()
    assert (out - expected).abs().max().item() < 1e-5


def test_onednn_mlp_declines_what_it_cannot_run():
    def mlp(act=torch.nn.GELU(), **fc2):
        return torch.nn.ModuleDict(dict(
            fc1=torch.nn.Conv2d(8, 32, 1), act=act,
            fc2=torch.nn.Conv2d(32, 8, fc2.pop('kernel_size', 1), **fc2)))

    cl = torch.randn(1, 8, 4, 4).contiguous(memory_format=torch.channels_last)
    assert onednn_mlp.can_run(cl, mlp())
    assert not onednn_mlp.can_run(cl, mlp(torch.nn.GELU('tanh')))
    assert not onednn_mlp.can_run(cl, mlp(torch.nn.ReLU()))
    assert not onednn_mlp.can_run(cl, mlp(kernel_size=3, padding=1))
    assert not onednn_mlp.can_run(cl, mlp(groups=8))
    assert not onednn_mlp.can_run(cl, Mlp(8, 32, torch.nn.GELU()))  # linear
    assert not onednn_mlp.can_run(cl.contiguous(), mlp())
    assert not onednn_mlp.can_run(cl.double(), mlp())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert not onednn_mlp.can_run(cl, mlp())


def test_fuse_folds_what_each_block_of_a_hybrid_has():
    """Layer scales fold into the layer before them where there is one (the
    MLP's fc2, the attention's proj; not the pooling, whose layer scale
    takes the one-group GroupNorm's weight instead), one-group GroupNorm
    affines into the layer after them (fc1, qkv); LayerNorms keep theirs."""
    model = randomize_(
        PoolFormer('s12', token_mixer=('pooling', 'pooling', 'attention',
                                       'attention'),
                   norm_cfg=('gn', 'ln', 'gn', 'gn'))).eval()
    scale = model.stages[0][0].layer_scale1.scale.clone()
    weight = model.stages[0][0].norm1.weight.clone()
    with torch.no_grad():
        expected = model(X)
        model.fuse()
        assert_same(model(X), expected)
    blocks = [s[0] for s in model.stages]
    assert all(type(b) is MetaFormerBlock and b.fused for b in blocks)
    folded = [[type(getattr(b, f'layer_scale{k}')) is torch.nn.Identity
               for k in (1, 2)] for b in blocks]
    assert folded == [[False, True], [False, True], [True, True],
                      [True, True]]
    norm_weights = [[getattr(b, f'norm{k}').weight is not None
                     for k in (1, 2)] for b in blocks]
    assert norm_weights == [[False, False], [True, True], [False, False],
                            [False, False]]
    assert torch.equal(blocks[0].layer_scale1.scale, scale * weight)
    assert blocks[2].token_mixer.qkv.bias is not None


def test_fused_block_leaves_an_input_its_branch_returns_alone():
    """A fused block without a norm or mixer gets its input back as the
    mixer's branch: the sum may not be written there."""
    torch.manual_seed(0)
    block = MetaFormerBlock(8, torch.nn.Identity(), torch.nn.Identity(),
                            torch.nn.Identity(),
                            Mlp(8, 16, torch.nn.GELU(), nhwc=False),
                            layer_scale_init_value=0.5, nhwc=False).eval()
    x = torch.randn(2, 8, 5, 7)
    given = x.clone()
    with torch.no_grad():
        expected = block(x)
        fuse_block(block)
        out = block(x)
    assert block.fused and torch.equal(x, given)
    assert (out - expected).abs().max().item() < 1e-6


def test_fused_model_refuses_to_train(plain):
    fused = twin(plain).fuse()
    with pytest.raises(RuntimeError, match='inference only'):
        fused.train()


def test_channels_last_gives_same_outputs_and_gradients(plain):
    fast = twin(plain, channels_last=True).train()
    slow = twin(plain).train()
    grads = []
    for model in (slow, fast):
        outs = model(X)
        sum(o.square().mean() for o in outs).backward()
        grads.append({n: p.grad for n, p in model.named_parameters()})
    assert all(out.is_contiguous() for out in fast(X))
    for name, grad in grads[0].items():
        assert torch.allclose(grad, grads[1][name], atol=1e-5, rtol=1e-4), \
            name


def test_compiles_without_graph_breaks(plain):
    import torch._dynamo
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(plain)(X)
    assert explanation.graph_break_count == 0
    assert explanation.graph_count == 1
    compiled = torch.compile(plain, backend='aot_eager')
    with torch.no_grad():
        assert_same(compiled(X), plain(X))


@pytest.mark.parametrize('channels_last', [False, True])
def test_bf16_autocast_keeps_norms_in_fp32_and_stays_finite(
        plain, channels_last):
    model = twin(plain, channels_last=channels_last).train()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        expected = plain(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outs = model(x)
    sum(o.mean() for o in outs).backward()
    for out, ref in zip(outs, expected):
        # The output norms see the fp32 residual stream: the fp32 layer
        # scales promote each block's sum.
        assert out.dtype == torch.float32
        assert ((out - ref).abs().max() / ref.abs().max()).item() < 0.03
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


# The MetaFormer Baselines (PoolFormerV2, ConvFormer, CAFormer).
BASELINES = (PoolFormerV2, ConvFormer, CAFormer)


def random_baseline(family, **kwargs):
    """The family's default arch with random weights, norm weights and
    scales (StarReLU's too) around 1, in eval mode."""
    model = randomize_(family(**kwargs), seed=6)
    generator = torch.Generator().manual_seed(6)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith('scale') or ('norm' in name
                                          and name.endswith('weight')):
                param.copy_(torch.rand(param.shape, generator=generator) +
                            0.5)
    return model.eval()


SMALL = dict(layers=[1, 1, 1, 1], embed_dims=[32, 32, 64, 64])
IN_PLACE_CASES = {
    'PoolFormer': (PoolFormer, {}),
    'PoolFormer hybrid': (PoolFormer, dict(
        token_mixer=('pooling', 'spatial_mlp', 'attention', 'sepconv'),
        norm_cfg=('gn', 'ln', 'bn', 'gn'), img_size=(64, 96))),
    'PoolFormerV2': (PoolFormerV2, {}),
    'CAFormer': (CAFormer, {}),
}


@pytest.mark.parametrize('channels_last', [False, True])
@pytest.mark.parametrize('case', IN_PLACE_CASES)
def test_fused_blocks_sum_into_their_branches(case, channels_last):
    """Without autograd every fused block (any mixer, norm, residual scale,
    either layout) writes its output over its token mixer's or its MLP's
    output and leaves its input as it was."""
    family, kwargs = IN_PLACE_CASES[case]
    model = random_baseline(family, arch=SMALL, channels_last=channels_last,
                            **kwargs).fuse()
    seen = []

    def watch(block):
        record = dict(branches=set())
        seen.append(record)
        block.register_forward_pre_hook(lambda _, args: record.update(
            x=args[0], given=args[0].clone()))
        for part in (block.token_mixer, block.mlp):
            part.register_forward_hook(lambda _, __, out: record[
                'branches'].add(out.untyped_storage().data_ptr()))
        block.register_forward_hook(lambda _, __, out: record.update(
            out=out.untyped_storage().data_ptr()))

    for stage in model.stages:
        for block in stage:
            watch(block)
    with torch.no_grad():
        model(torch.randn(2, 3, 64, 96))
    assert len(seen) == 4
    for record in seen:
        assert torch.equal(record['x'], record['given'])
        assert record['out'] in record['branches']


@pytest.mark.parametrize('family', [PoolFormer, CAFormer],
                         ids=lambda f: f.__name__)
def test_fused_blocks_keep_float32_sums_under_autocast(family):
    """Under bf16 autocast a fused block's sum has the unfused one's dtype:
    float32 where float32 scales or inputs make it so."""
    plain = random_baseline(family, arch=SMALL)
    fused = random_baseline(family, arch=SMALL).fuse()
    dtypes, outs = [], []
    for model in (plain, fused):
        found = []
        for stage in model.stages:
            stage[0].register_forward_hook(
                lambda _, __, out, found=found: found.append(out.dtype))
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
            outs.append(model(X))
        dtypes.append(found)
    assert dtypes[0] == dtypes[1] and torch.float32 in dtypes[0]
    for out, ref in zip(*outs):
        assert ((out - ref).abs().max() / ref.abs().max()).item() < 0.03


@pytest.mark.parametrize('family', BASELINES, ids=lambda f: f.__name__)
def test_baseline_fast_paths_equal_the_default(family):
    """channels_last=True and fuse() (with either format) keep the outputs
    within 1e-4. fuse() folds the MLP's StarReLU into fc2, PerSampleNorm
    weights into the next linear layer (before pooling: into a layer scale),
    runs the activations in place, and keeps what does not fold (LayerNorm
    weights, the separable convolution's StarReLU)."""
    plain = random_baseline(family)
    with torch.no_grad():
        expected = plain(X)
        fast = random_baseline(family, channels_last=True)
        outs = fast(X)
        assert all(out.is_contiguous() for out in outs)
        assert_same(outs, expected)
        for model in (fast, random_baseline(family)):
            assert model.fuse() is model and not model.training
            assert_same(model(X), expected)
    blocks = [block for stage in model.stages for block in stage]
    assert len(blocks) == sum(family.arch_settings[family.default_arch]
                              ['layers'])
    per_sample = family is PoolFormerV2
    for block in blocks:
        assert isinstance(block.mlp.act, InPlaceSquaredReLU)
        assert block.mlp.fc2.bias is not None
        assert block.fused
        assert bool(list(block.norm2.parameters())) is not per_sample
        assert bool(list(block.norm1.parameters())) is not per_sample
        assert isinstance(block.layer_scale1, Scale) is per_sample
        if isinstance(block.token_mixer, SepConv):
            assert isinstance(block.token_mixer.act1, InPlaceStarReLU)
    with pytest.raises(RuntimeError, match='inference only'):
        model.train()


def test_baseline_fuse_folds_per_sample_norms_with_bias():
    """PerSampleNorms before the separable convolution, the attention and
    the MLP fold into them, biases included; with and without autograd
    (in place) a fused block gives the same and leaves its input alone."""
    norm_cfg = dict(type='PerSampleNorm', bias=True)
    plain = random_baseline(CAFormer, arch=SMALL, norm_cfg=norm_cfg)
    fused = random_baseline(CAFormer, arch=SMALL, norm_cfg=norm_cfg).fuse()
    for stage, name in ((0, 'pwconv1'), (2, 'qkv')):
        block = fused.stages[stage][0]
        assert getattr(block.token_mixer, name).bias is not None
        assert block.mlp.fc1.bias is not None
        assert not list(block.norm1.parameters())
        assert not list(block.norm2.parameters())
    with torch.no_grad():
        assert_same(fused(X), plain(X))
    block = fused.stages[0][0]
    hidden = []
    block.mlp.fc1.register_forward_hook(lambda _, __, out: hidden.append(out))
    x = torch.randn(2, 24, 40, 32)
    given = x.clone()
    with torch.no_grad():
        in_place = block(x)
    assert torch.equal(x, given)
    assert torch.equal(in_place, block(x))
    # Without autograd the MLP squared its hidden tensor where it was.
    assert hidden[0].min() >= 0 and hidden[1].min() < 0


def test_fuse_backbones_fuses_baselines_and_says_so():
    model = torch.nn.ModuleDict(
        dict(a=random_baseline(CAFormer, arch=dict(
            layers=[1, 2, 1, 1], embed_dims=[32, 32, 64, 64])),
             b=random_baseline(PoolFormer)))
    assert fuse_backbones(model) == \
        'fused 17 blocks in 2 CAFormer/PoolFormer backbone(s)'
    assert model['a'].fused and model['b'].fused
    assert fuse_backbones(model) == 'fused 0 blocks in 0 PoolFormer ' \
        'backbone(s)'


def test_without_the_private_onednn_op_the_public_path_runs(plain,
                                                            monkeypatch):
    """On a torch build without ``mkldnn._convolution_pointwise`` (the
    check finds none), a fused channels-last backbone runs its MLPs with
    public ops and still equals the unfused model."""
    fused = twin(plain, channels_last=True).fuse()
    block = fused.stages[0][0]
    x = torch.randn(2, 64, 24, 40).contiguous(
        memory_format=torch.channels_last)
    assert onednn_mlp.can_run(x, block.mlp)
    monkeypatch.setattr(onednn_mlp, 'POINTWISE_OPS', None)
    assert not onednn_mlp.can_run(x, block.mlp)
    with torch.no_grad():
        assert_same(fused(X), plain(X))


def test_fast_path_gives_a_two_stage_detector_the_same_roi_features():
    """The fast path's outputs are contiguous (N, C, H, W) maps: mmcv's
    RoIAlign reads its input's memory as that layout, so from channels-last
    maps Mask R-CNN's RoI features (and so its predictions) were wrong."""
    from mmengine.config import Config
    from tool_runs import ROOT

    from mmpoolformer.analysis import build_model
    cfg = Config.fromfile(
        f'{ROOT}/configs/demo/mask_rcnn_poolformer_s12_demo.py')
    models = []
    for channels_last in (False, True):
        cfg.model.backbone.channels_last = channels_last
        models.append(build_model(cfg).eval())
    randomize_(models[0])
    models[1].load_state_dict(models[0].state_dict())
    models[1].backbone.fuse()
    image = torch.randn(1, 3, 128, 128)
    rois = torch.tensor([[0, 4., 6., 60., 50.], [0, 30., 20., 120., 126.]])
    features = []
    with torch.no_grad():
        for model in models:
            maps = model.extract_feat(image)
            extractor = model.roi_head.bbox_roi_extractor
            features.append(extractor(maps[:extractor.num_inputs], rois))
    assert features[0].abs().max() > 0
    torch.testing.assert_close(features[1], features[0], atol=1e-4,
                               rtol=1e-4)
