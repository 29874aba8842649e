"""PoolFormerV2, ConvFormer and CAFormer against timm's MetaFormer (the
reference implementation of "MetaFormer Baselines for Vision"): the same
weights, loaded from timm's and the official sail-sg/metaformer layouts,
give the same stage features at an odd input size, for every arch.

The smallest arch of each family runs in float64, where two
implementations of the same function differ by rounding only (about 1e-13
here), at an odd input size; the others in float32 at a small odd input,
where the rounding of deep random networks alone reaches 1e-3 on features
of magnitude 900, so there the bound is relative to the features' largest
value.
"""
import re

import pytest
import torch
from metaformer_references import FAMILIES, official_layout, random_timm_model

from mmpoolformer import CAFormer
# Every arch of the paper.
ARCHS = [(family, arch) for family, (cls, _) in FAMILIES.items()
         for arch in cls.arch_settings]
# Odd sides: every stage's map has odd sides too, and no square.
INPUT_SIZE = (97, 131)
# Odd sides half the area of INPUT_SIZE: the last stage is 2x3.
SMALL_INPUT_SIZE = (65, 97)
# The arch of each family compared in float64.
FLOAT64_ARCHS = {('PoolFormerV2', 's12'), ('ConvFormer', 's18'),
                 ('CAFormer', 's18')}
TOLERANCE = 1e-5


def test_every_arch_of_the_paper_is_there():
    assert sorted(ARCHS) == sorted(
        [('PoolFormerV2', a) for a in ('s12', 's24', 's36', 'm36', 'm48')] +
        [(f, a) for f in ('ConvFormer', 'CAFormer')
         for a in ('s18', 's36', 'm36', 'b36')])


def timm_stage_features(model, x):
    with torch.no_grad():
        return model.forward_intermediates(x, intermediates_only=True)


def load_backbone(family, arch, checkpoint, **kwargs):
    cls = FAMILIES[family][0]
    backbone = cls(
        arch=arch,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(checkpoint),
            keep_classifier_norm=True),
        **kwargs)
    backbone.init_weights()
    return backbone.eval()


def stage_features(backbone, x):
    """The (N, C, H, W) output of each built stage, before the output
    norms, and the backbone's outputs."""
    feats = []
    hooks = [
        stage.register_forward_hook(
            lambda _, __, out: feats.append(out.permute(0, 3, 1, 2)))
        for stage in backbone.stages
    ]
    with torch.no_grad():
        outs = backbone(x)
    for hook in hooks:
        hook.remove()
    return feats, outs


def assert_same_features(backbone, timm_feats, x, relative=False):
    feats, outs = stage_features(backbone, x)
    assert len(feats) == len(timm_feats)
    for i, (feat, expected) in enumerate(zip(feats, timm_feats)):
        assert feat.shape == expected.shape
        error = (feat - expected).abs().max().item()
        if relative:
            error /= expected.abs().max().item()
        assert error < TOLERANCE, f'stage {i}: max error {error:.2e}'
    # Each output is its stage's features through the output norm.
    assert len(outs) == len(backbone.out_indices)
    for out, i in zip(outs, backbone.out_indices):
        normed = backbone.output_norm(i)(feats[i].permute(0, 2, 3, 1))
        assert torch.equal(out, normed.permute(0, 3, 1, 2))


@pytest.mark.parametrize('family,arch', ARCHS)
def test_same_features_as_timm_from_both_layouts(family, arch, tmp_path):
    exact = (family, arch) in FLOAT64_ARCHS
    dtype = torch.float64 if exact else torch.float32
    reference = random_timm_model(family, arch).to(dtype)
    x = torch.randn(2, 3, *(INPUT_SIZE if exact else SMALL_INPUT_SIZE),
                    dtype=dtype)
    timm_feats = timm_stage_features(reference, x)
    timm_state = reference.state_dict()
    layouts = {'timm': timm_state, 'official': official_layout(reference)}
    for layout, state in layouts.items():
        path = tmp_path / f'{layout}.pth'
        torch.save(state, path)
        backbone = load_backbone(family, arch, path).to(dtype)
        path.unlink()  # the largest is 0.8 GB
        # Every tensor of the backbone comes from the checkpoint: the
        # classifier's final norm goes to the last output norm, the others
        # are the only ones left at their initial values.
        own = backbone.state_dict()
        loaded = {k for k in own if not re.match(r'norm[012]\.', k)}
        assert torch.equal(own['norm3.weight'],
                           timm_state['head.norm.weight'])
        assert len(loaded) == len([
            k for k in timm_state if not k.startswith('head.fc')
        ]), layout
        assert_same_features(backbone, timm_feats, x, relative=not exact)


def test_one_arch_of_each_family_is_compared_in_float64():
    assert FLOAT64_ARCHS <= set(ARCHS)
    assert {family for family, _ in FLOAT64_ARCHS} == set(FAMILIES)


@pytest.mark.parametrize('family,arch', [('ConvFormer', 's18'),
                                         ('CAFormer', 's18')])
def test_same_features_as_timm_in_float32(family, arch, tmp_path):
    reference = random_timm_model(family, arch)
    x = torch.randn(2, 3, *INPUT_SIZE)
    path = tmp_path / 'timm.pth'
    torch.save(reference.state_dict(), path)
    assert_same_features(
        load_backbone(family, arch, path),
        timm_stage_features(reference, x),
        x,
        relative=True)


def test_whole_detector_checkpoint_loads_its_backbone(tmp_path):
    """A checkpoint of a whole model (our detector's ``backbone.*`` keys,
    output norms included) loads into a new backbone exactly."""
    trained = CAFormer(arch='s18', out_indices=(1, 2, 3))
    with torch.no_grad():
        for param in trained.parameters():
            param.add_(torch.randn_like(param) * 0.01)
    path = tmp_path / 'detector.pth'
    torch.save({'state_dict': {
        **{f'backbone.{k}': v for k, v in trained.state_dict().items()},
        'neck.conv.weight': torch.zeros(1)}}, path)
    backbone = load_backbone('CAFormer', 's18', path, out_indices=(1, 2, 3))
    for key, value in trained.state_dict().items():
        assert torch.equal(backbone.state_dict()[key], value), key


@pytest.mark.parametrize('source,target,message', [
    (('CAFormer', 's18'), ('CAFormer', 's36'), 'model tensors are not in it'),
    (('ConvFormer', 's18'), ('CAFormer', 's18'), 'have no place in the model'),
    (('PoolFormerV2', 'm36'), ('ConvFormer', 's18'), 'shapes differ'),
])
def test_checkpoint_of_another_model_is_refused(source, target, message,
                                                 tmp_path):
    from mmpoolformer.checkpoint import CheckpointError
    path = tmp_path / 'other.pth'
    torch.save(random_timm_model(*source).state_dict(), path)
    with pytest.raises(CheckpointError, match=message):
        load_backbone(*target, path)


def test_poolformer_checkpoints_and_these_are_not_mixed_up(
        reference_s12, tmp_path):
    """An official PoolFormer (v1) checkpoint is refused by PoolFormerV2,
    and a PoolFormerV2 checkpoint by PoolFormer, each naming the cause."""
    from mmpoolformer import PoolFormer
    from mmpoolformer.checkpoint import CheckpointError
    v1 = tmp_path / 'poolformer_s12.pth'
    torch.save(reference_s12.state_dict(), v1)
    with pytest.raises(CheckpointError, match='these are PoolFormer weights '
                       r'\(network layout\): load them into '
                       r'mmpoolformer\.PoolFormer$'):
        load_backbone('PoolFormerV2', 's12', v1)
    v2 = tmp_path / 'poolformerv2_s12.pth'
    torch.save(random_timm_model('PoolFormerV2', 's12').state_dict(), v2)
    backbone = PoolFormer(
        arch='s12', init_cfg=dict(type='Pretrained', checkpoint=str(v2)))
    with pytest.raises(CheckpointError, match='MetaFormer Baselines weights'):
        backbone.init_weights()
