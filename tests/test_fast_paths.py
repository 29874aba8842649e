"""Inference fusion, channels-last and torch.compile give the same numbers
(within 1e-4, float reassociation; the issue's bound)."""
import pytest
import torch
from conftest import randomize_

from mmpoolformer import PoolFormer
from mmpoolformer.models.layers import (FusedPoolFormerBlock, MetaFormerBlock,
                                        onednn_mlp)

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
    assert all(isinstance(b, FusedPoolFormerBlock) for b in blocks)
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
    assert onednn_mlp.can_run(x, block.fc1, block.act) == channels_last
    given = x.clone()
    with torch.no_grad():
        in_place = block(x)
    out_of_place = block(x)
    assert torch.equal(x, given)
    assert (in_place - out_of_place).abs().max().item() < 1e-5
    with torch.no_grad():
        assert_same(fused(X), plain(X))
        assert_same(fused(X.clone()), fused(X))


def test_onednn_mlp_equals_the_plain_mlp():
    torch.manual_seed(0)
    fc1, fc2 = torch.nn.Conv2d(32, 128, 1), torch.nn.Conv2d(128, 32, 1)
    x, y = (torch.randn(2, 32, 9, 13).contiguous(
        memory_format=torch.channels_last) for _ in range(2))
    with torch.no_grad():
        expected = x + fc2(torch.nn.functional.gelu(fc1(y)))
        out = onednn_mlp.mlp_add_(x, y, fc1, fc2)
    assert out.data_ptr() == x.data_ptr()
    assert (out - expected).abs().max().item() < 1e-5


def test_onednn_mlp_declines_what_it_cannot_run():
    fc1 = torch.nn.Conv2d(8, 32, 1)
    cl = torch.randn(1, 8, 4, 4).contiguous(memory_format=torch.channels_last)
    assert onednn_mlp.can_run(cl, fc1, torch.nn.GELU())
    assert not onednn_mlp.can_run(cl, fc1, torch.nn.GELU('tanh'))
    assert not onednn_mlp.can_run(cl, fc1, torch.nn.ReLU())
    assert not onednn_mlp.can_run(cl.contiguous(), fc1, torch.nn.GELU())
    assert not onednn_mlp.can_run(cl.double(), fc1, torch.nn.GELU())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert not onednn_mlp.can_run(cl, fc1, torch.nn.GELU())


def test_fuse_keeps_blocks_it_cannot_fold():
    model = randomize_(
        PoolFormer('s12', token_mixer=('pooling', 'pooling', 'attention',
                                       'attention'),
                   norm_cfg=('gn', 'ln', 'gn', 'gn'))).eval()
    with torch.no_grad():
        expected = model(X)
        model.fuse()
        assert_same(model(X), expected)
    kinds = [type(s[0]) for s in model.stages]
    assert kinds == [FusedPoolFormerBlock, MetaFormerBlock, MetaFormerBlock,
                     MetaFormerBlock]


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
    assert fast(X)[0].is_contiguous(memory_format=torch.channels_last)
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
