"""Shared fixtures: reference PoolFormers with random, non-trivial weights."""
import pytest
import torch

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
