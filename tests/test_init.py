"""The backbone's default initialisation is the official PoolFormer's; a
given ``init_cfg`` replaces it."""
import math
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from conftest import assert_official_init
from mmengine.config import Config

from mmpoolformer import CAFormer, ConvFormer, PoolFormer
from mmpoolformer.models.backbones.metaformer import (BASELINE_INIT_CFG,
                                                      OFFICIAL_INIT_CFG)
from mmpoolformer.models.layers import PointwiseConv2d

DEMOS = sorted((Path(__file__).resolve().parents[1] / 'configs' /
                'demo').glob('*.py'))
# Enough tokens in the spatial MLP (14x14 in stage 2) for its statistics.
HYBRID = dict(token_mixer=('pooling', 'pooling', 'spatial_mlp', 'attention'),
              img_size=224)


def initialised(**kwargs) -> PoolFormer:
    torch.manual_seed(0)
    model = PoolFormer('s12', **kwargs)
    model.init_weights()
    return model


def layers(model: nn.Module, cls: type, mixer: str = '') -> list:
    """The ``cls`` layers of ``model`` (exactly that class), only those
    whose name has ``mixer`` in it if given."""
    return [
        module for name, module in model.named_modules()
        if type(module) is cls and mixer in name
    ]


def pytorch_default_std(layer: nn.Module) -> float:
    """The std of PyTorch's default weights, kaiming_uniform_(a=sqrt(5)):
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    fan_in = layer.weight[0].numel()
    return 1 / math.sqrt(3 * fan_in)


@pytest.mark.parametrize('cls, mixer', [(PointwiseConv2d, 'mlp'),
                                        (nn.Linear, 'stages.2'),
                                        (nn.Linear, 'stages.3')],
                         ids=['mlp', 'spatial_mlp', 'attention'])
def test_mlps_and_linear_layers_start_as_in_the_official_code(cls, mixer):
    model = initialised(**HYBRID)
    assert model.init_cfg == OFFICIAL_INIT_CFG
    found = layers(model, cls, mixer)
    assert found
    assert_official_init([layer.weight for layer in found])
    assert all(
        torch.all(layer.bias == 0) for layer in found
        if layer.bias is not None)


def test_stem_downsampling_norms_and_layer_scales_keep_their_defaults():
    model = initialised()
    for embed in model.downsample_layers:
        conv = embed.conv
        std = pytorch_default_std(conv)
        assert conv.weight.std().item() == pytest.approx(std, rel=0.1)
        assert conv.weight.abs().max() <= std * math.sqrt(3)
        assert 0 < conv.bias.abs().max() <= std * math.sqrt(3)
    norms = [m for m in model.modules() if isinstance(m, nn.GroupNorm)]
    assert len(norms) == 2 * 12 + 4
    assert all(torch.all(n.weight == 1) and torch.all(n.bias == 0)
               for n in norms)
    assert torch.all(model.stages[0][0].layer_scale1.scale == 1e-5)


def test_a_given_init_cfg_replaces_the_official_one():
    """Kaiming on 'Conv2d' reaches the MLPs' convolutions too (their class
    derives from it); the linear layers keep PyTorch's default."""
    model = initialised(init_cfg=dict(type='Kaiming', layer='Conv2d'),
                        **HYBRID)
    fc1 = model.stages[0][0].mlp.fc1
    # mmengine's Kaiming: normal, fan_out, ReLU gain.
    assert fc1.weight.std().item() == pytest.approx(
        math.sqrt(2 / fc1.out_channels), rel=0.05)
    qkv = model.stages[3][0].token_mixer.qkv
    assert qkv.weight.std().item() == pytest.approx(
        pytorch_default_std(qkv), rel=0.05)


def test_an_empty_init_cfg_keeps_pytorch_defaults():
    model = initialised(init_cfg=[])
    fc1 = model.stages[0][0].mlp.fc1
    assert fc1.weight.std().item() == pytest.approx(
        pytorch_default_std(fc1), rel=0.05)
    assert fc1.bias.abs().max() > 0


# Each backbone of a demo and its official initialisation.
INITS = {
    'mmpoolformer.PoolFormer': (PoolFormer, OFFICIAL_INIT_CFG),
    'mmpoolformer.CAFormer': (CAFormer, BASELINE_INIT_CFG),
    'mmpoolformer.ConvFormer': (ConvFormer, BASELINE_INIT_CFG),
}


@pytest.mark.parametrize('path', DEMOS, ids=lambda p: p.stem)
def test_demo_backbones_start_from_the_official_init(path):
    """The demos train from scratch: their backbone's ``init_cfg=None`` (or
    none given) is the official initialisation."""
    backbone = Config.fromfile(str(path)).model.backbone.to_dict()
    backbone_cls, official = INITS[backbone.pop('type')]
    assert backbone.get('init_cfg', None) is None
    assert backbone_cls(**backbone).init_cfg == official


def test_metaformer_baselines_start_from_their_official_init():
    """The MetaFormer Baselines draw every convolution and linear layer (the
    stem included) from N(0, 0.02^2) with zero biases, as the official
    code does."""
    torch.manual_seed(0)
    model = CAFormer(arch='s18', out_indices=(0, ))
    model.init_weights()
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d,
                                                            nn.Linear))]
    assert model.downsample_layers[0].conv in layers
    assert_official_init(m.weight for m in layers)
    assert all(m.bias is None or not m.bias.any() for m in layers)
