"""Shared fixtures: reference PoolFormers with random, non-trivial weights;
the Hypothesis profiles of the property-based tests."""
import os
import shutil

import pytest
import torch
from hypothesis import settings

# No deadline: a first build can take a second on a busy machine. In CI
# (.ci/run sets CI) the examples are fixed, and a failure prints a
# reproduce_failure blob; here the example database (.hypothesis/, which
# ignores itself) replays it.
settings.register_profile(
    'ci', derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile('dev', deadline=None, print_blob=True)
settings.load_profile('ci' if os.environ.get('CI') else 'dev')


@pytest.fixture(scope='module')
def module_tmp_path(request, tmp_path_factory):
    """A folder for the fixtures one test module shares. Like a passing
    test's ``tmp_path`` (pytest.ini), it goes when the module ends, unless
    a test failed meanwhile: a full run would otherwise hold gigabytes."""
    failed = request.session.testsfailed
    path = tmp_path_factory.mktemp(request.module.__name__)
    yield path
    if request.session.testsfailed == failed:
        shutil.rmtree(path, ignore_errors=True)


ARCHS = ('s12', 's24', 's36', 'm36', 'm48')


def randomize_(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Fills every parameter with random values, so that layer scales and
    norms are far from their (near-identity) initialisation."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if 'layer_scale' in name or name.endswith('norm1.weight') or \
                    name.endswith('norm2.weight'):
                values = torch.rand(param.shape, generator=generator) + 0.5
            else:
                values = torch.randn(param.shape, generator=generator) * 0.05
            param.copy_(values)
    return module


def mmpretrain_poolformer(arch: str, seed: int = 0) -> torch.nn.Module:
    """mmpretrain's PoolFormer, official key layout, with outputs of all four
    stages (its positions 0, 2, 4, 6), in eval mode."""
    from mmpretrain.models.backbones import PoolFormer as Reference
    model = Reference(arch=arch, out_indices=(0, 2, 4, 6))
    randomize_(model, seed)
    model.eval()  # mmpretrain's train() returns None: no chaining
    return model


@pytest.fixture(scope='session')
def reference_s12():
    return mmpretrain_poolformer('s12')


def official_classification(reference: torch.nn.Module,
                            head: torch.nn.Linear) -> dict:
    """The sail-sg ImageNet .pth.tar layout of ``reference`` (an
    official-layout backbone with output norms at 0/2/4/6): its blocks, its
    last output norm as the final ``norm``, and ``head`` as ``head``."""
    state = {k: v for k, v in reference.state_dict().items()
             if not k.startswith('norm')}
    state.update(
        {f'norm.{k}': v for k, v in reference.norm6.state_dict().items()})
    state.update({f'head.{k}': v for k, v in head.state_dict().items()})
    return state


def assert_official_init(weights) -> None:
    """Asserts that ``weights``, pooled, are initialised as the official
    PoolFormer does: timm's ``trunc_normal_(std=.02)``, whose bounds (-2, 2)
    are absolute (100 std), so the values are an uncut N(0, 0.02^2) with
    about 4.6% beyond 2 std. PyTorch's default (uniform, std
    1/sqrt(3 fan_in), 0.072 for 64 input channels) and a normal cut at 2
    std (std 0.0176, none beyond) fail."""
    values = torch.cat([w.detach().flatten() for w in weights])
    assert values.std().item() == pytest.approx(0.02, rel=0.05)
    assert abs(values.mean().item()) < 0.002
    beyond = (values.abs() > 0.04).float().mean().item()
    assert 0.035 < beyond < 0.056


def build_classifier(cfg):
    """Builds a classifier config's model as mmengine's Runner does, with
    the config's top-level data preprocessor."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    model = cfg.model.copy()
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return MODELS.build(model)


def assert_loads_strictly(model: torch.nn.Module, path) -> None:
    """The checkpoint at ``path`` leaves no key of ``model`` missing and
    has none unexpected, read directly and through mmengine."""
    from mmengine.runner import load_checkpoint
    state = torch.load(path, weights_only=True)['state_dict']
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    load_checkpoint(model, str(path), strict=True)
