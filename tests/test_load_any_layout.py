"""``load_state_dict`` of our backbones takes every layout of their family
(mmpoolformer.checkpoint.layouts) strictly, through a pre-hook of the
backbone: timm's classifiers load into a backbone, bare or inside a whole
model through mmengine's ``load_checkpoint``, and give timm's features."""
import pytest
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from metaformer_references import official_layout, random_timm_model
from mmengine.runner import load_checkpoint

from mmpoolformer import CAFormer, PoolFormer

X = torch.randn(1, 3, 64, 64, dtype=torch.float64)


def timm_poolformer_s12():
    reference = timm.create_model('poolformer_s12')
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.05)
    return reference.eval()


def official_v1_features(reference):
    """The official PoolFormer's final norm, a one-group GroupNorm on the
    last map (timm applies its weights after pooling, as a LayerNorm)."""
    norm = reference.head.norm
    return F.group_norm(reference.forward_features(X), 1, norm.weight,
                        norm.bias, eps=1e-5)


def baseline_features(reference):
    """timm's final norm, a LayerNorm over channels, on the last map."""
    return reference.head.norm(reference.forward_features(X))


# Our backbone (only the last output, which the classifier's final norm
# becomes), timm's classifier of the same model and the features our output
# must equal.
CASES = {
    'PoolFormer-S12': (lambda: PoolFormer('s12', out_indices=(3, )),
                       timm_poolformer_s12, official_v1_features),
    'CAFormer-S18': (lambda: CAFormer('s18', out_indices=(3, )),
                     lambda: random_timm_model('CAFormer', 's18'),
                     baseline_features),
}


def assert_features(model, reference, features):
    """In float64, so that only a real difference shows."""
    with torch.no_grad():
        (output, ) = model.double().eval()(X)
        expected = features(reference.double())
    assert (output - expected).abs().max().item() < 1e-10


@pytest.mark.parametrize('case', sorted(CASES))
def test_a_timm_classifier_loads_strictly_into_the_backbone(case):
    build, timm_model, features = CASES[case]
    reference = timm_model()
    model = build()
    result = model.load_state_dict(reference.state_dict(), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert_features(model, reference, features)


@pytest.mark.parametrize('case', sorted(CASES))
def test_a_whole_model_loads_through_mmengine(case, tmp_path):
    """mmengine's ``load_checkpoint`` (what ``load_from`` and ``--resume``
    call) of a detector-like model whose backbone keys are timm's."""
    build, timm_model, features = CASES[case]
    reference = timm_model()
    whole = nn.Module()
    whole.backbone = build()
    whole.neck = nn.Conv2d(2, 2, 1)
    state = {f'backbone.{k}': v for k, v in reference.state_dict().items()}
    state.update({f'neck.{k}': v.clone() + 1
                  for k, v in whole.neck.state_dict().items()})
    path = tmp_path / 'whole.pth'
    torch.save(dict(state_dict=state), path)
    load_checkpoint(whole, str(path), strict=True)
    assert torch.equal(whole.neck.weight, state['neck.weight'])
    assert_features(whole.backbone, reference, features)


def test_the_official_layout_loads_as_it_is():
    """The official CAFormer tree (sail-sg/metaformer's names, linear
    pointwise layers) is ours: the same tensors load, untouched."""
    reference = random_timm_model('CAFormer', 's18', seed=1)
    official = official_layout(reference)
    backbone = {k: v for k, v in official.items() if not k.startswith('head.')}
    model = CAFormer('s18', out_indices=(3, ))
    model.load_state_dict(backbone, strict=True)
    assert_features(model, reference, baseline_features)
    assert torch.equal(model.stages[0][0].mlp.fc1.weight,
                       official['stages.0.0.mlp.fc1.weight'])


def test_weights_of_the_other_family_are_refused_by_name():
    with pytest.raises(RuntimeError, match='these are PoolFormer weights '
                       r'\(timm layout\): load them into '
                       r'mmpoolformer.PoolFormer'):
        CAFormer('s18').load_state_dict(timm_poolformer_s12().state_dict())
    with pytest.raises(RuntimeError, match='these are MetaFormer Baselines '
                       r'weights \(MetaFormer Baselines timm layout\)'):
        PoolFormer('s12').load_state_dict(
            random_timm_model('CAFormer', 's18').state_dict())
