"""The official MetaFormer-S12 models of the paper's Table 5 (identity
mixers and the pooling/attention/spatial FC hybrids): their released
``.pth.tar`` layout converts and loads strictly into our configs'
classifiers, which then predict what the official model predicts.

The official model is written here anew, following the structure and
parameter names of sail-sg's ``models/metaformer.py``: ``patch_embed.proj``;
``network`` holding, stage after stage, an optional position embedding
(``network.{k}.pos_embed``), the blocks and the downsampling
(``network.{k}.proj``); the final ``norm`` and the ``head``.
"""
import math
from pathlib import Path
from typing import Dict, Optional, Sequence

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from conftest import assert_loads_strictly, build_classifier, randomize_
from mmengine.config import Config

from mmpoolformer import PoolFormer
from mmpoolformer.checkpoint import convert_backbone_state_dict, foreign_layout
from tool_runs import assert_ok, run_in_process

CONFIGS = Path(__file__).resolve().parents[1] / 'configs' / 'ablations'
LAYERS = (2, 2, 6, 2)
DIMS = (64, 128, 320, 512)
# The official models: mixers by stage (identity, pooling, attention,
# spatial FC), norm, the stage a position embedding is added before, and
# the test crop ratio of their default_cfg.
OFFICIAL = {
    'id': dict(mixers='iiii', norm='gn', pos_embed=(), crop=0.9),
    'pppa': dict(mixers='pppa', norm='ln', pos_embed=(3, ), crop=0.95),
    'ppaa': dict(mixers='ppaa', norm='ln', pos_embed=(2, ), crop=0.95),
    'pppf': dict(mixers='pppf', norm='gn', pos_embed=(), crop=0.9),
    'ppff': dict(mixers='ppff', norm='gn', pos_embed=(), crop=0.95),
}
CONFIG_PATHS = sorted(CONFIGS.glob('metaformer_*_s12_in1k.py'))


class ChannelLayerNorm(nn.Module):
    """The official ``LayerNormChannel``: mean and (biased) variance over
    the channels of each position, eps 1e-5."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centered = x - x.mean(1, keepdim=True)
        var = centered.square().mean(1, keepdim=True)
        normed = centered / torch.sqrt(var + 1e-5)
        return normed * self.weight[:, None, None] + self.bias[:, None, None]


def make_norm(norm: str, dim: int) -> nn.Module:
    """'gn': the official ``GroupNorm`` (one group); 'ln':
    ``LayerNormChannel``."""
    return nn.GroupNorm(1, dim) if norm == 'gn' else ChannelLayerNorm(dim)


class PoolMixer(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x) - x


class SelfAttention(nn.Module):
    """Heads of 32 channels, ``qkv`` without bias, ``proj`` with it; the
    softmax written out rather than a fused kernel."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.heads = dim // 32
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        q, k, v = self.qkv(tokens).view(n, h * w, 3, self.heads,
                                        32).permute(2, 0, 3, 1, 4)
        weights = (q @ k.transpose(-2, -1) / math.sqrt(32)).softmax(-1)
        mixed = (weights @ v).transpose(1, 2).reshape(n, h * w, c)
        return self.proj(mixed).transpose(1, 2).reshape(n, c, h, w)


class SpatialFc(nn.Module):
    """One linear map over the ``side * side`` positions, without bias."""

    def __init__(self, side: int) -> None:
        super().__init__()
        self.fc = nn.Linear(side * side, side * side, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(2)).view_as(x)


class Mlp(nn.Module):
    """Two 1x1 convolutions, GELU between them."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(dim, 4 * dim, 1)
        self.fc2 = nn.Conv2d(4 * dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):

    def __init__(self, dim: int, mixer: nn.Module, norm: str) -> None:
        super().__init__()
        self.norm1 = make_norm(norm, dim)
        self.token_mixer = mixer
        self.norm2 = make_norm(norm, dim)
        self.mlp = Mlp(dim)
        self.layer_scale_1 = nn.Parameter(torch.full((dim, ), 1e-5))
        self.layer_scale_2 = nn.Parameter(torch.full((dim, ), 1e-5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.layer_scale_1[:, None, None] * self.token_mixer(
            self.norm1(x))
        return x + self.layer_scale_2[:, None, None] * self.mlp(self.norm2(x))


class PositionEmbedding(nn.Module):
    """The official ``AddPositionEmb``. The official code adds it to maps of
    its own size only; on others it is resized here bicubically, as our
    backbone does, to compare the rest of the model at other sizes."""

    def __init__(self, dim: int, side: int) -> None:
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, dim, side, side))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        embed = self.pos_embed
        if embed.shape[-2:] != x.shape[-2:]:
            embed = F.interpolate(embed, size=x.shape[-2:], mode='bicubic',
                                  align_corners=False)
        return x + embed


def conv(in_channels: int, out_channels: int, kernel: int, stride: int,
         padding: int) -> nn.Module:
    """The official ``PatchEmbed``: a convolution named ``proj``."""
    embed = nn.Sequential()
    embed.add_module(
        'proj', nn.Conv2d(in_channels, out_channels, kernel, stride, padding))
    return embed


def mixer(kind: str, dim: int, side: int) -> nn.Module:
    return {
        'i': nn.Identity,
        'p': PoolMixer,
        'a': lambda: SelfAttention(dim),
        'f': lambda: SpatialFc(side),
    }[kind]()


class OfficialMetaFormer(nn.Module):
    """The official MetaFormer-S12 classifier, for 224x224 inputs.

    Args:
        mixers (str): One letter a stage: 'i', 'p', 'a' or 'f'.
        norm (str): 'gn' (one group) or 'ln' (over channels).
        pos_embed (Sequence[int]): Stages with a position embedding.
    """

    def __init__(self, mixers: str, norm: str,
                 pos_embed: Sequence[int]) -> None:
        super().__init__()
        self.patch_embed = conv(3, DIMS[0], 7, 4, 2)
        network = []
        for i, (depth, dim) in enumerate(zip(LAYERS, DIMS)):
            side = 56 // 2**i
            if i in pos_embed:
                network.append(PositionEmbedding(dim, side))
            network.append(
                nn.Sequential(*[
                    Block(dim, mixer(mixers[i], dim, side), norm)
                    for _ in range(depth)
                ]))
            if i + 1 < len(DIMS):
                network.append(conv(dim, DIMS[i + 1], 3, 2, 1))
        self.network = nn.ModuleList(network)
        self.norm = make_norm(norm, DIMS[-1])
        self.head = nn.Linear(DIMS[-1], 1000)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        for module in self.network:
            x = module(x)
        return self.norm(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))


def official_model(name: Optional[str] = None, seed: int = 0,
                   **spec) -> OfficialMetaFormer:
    """The official model ``name`` (or of ``spec``), in eval mode, with
    random weights: position embeddings and the final norm's scale of the
    order of one, so that they show in the logits."""
    spec = {**OFFICIAL[name], **spec} if name else spec
    spec.pop('crop', None)
    model = randomize_(OfficialMetaFormer(**spec), seed)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        model.norm.weight.uniform_(0.5, 1.5, generator=generator)
        for name_, param in model.named_parameters():
            if name_.endswith('pos_embed'):
                param.normal_(generator=generator)
    return model.eval()


def config(name: str) -> Config:
    return Config.fromfile(str(CONFIGS / f'metaformer_{name}_s12_in1k.py'))


def assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    assert actual.shape == expected.shape
    assert (actual - expected).abs().max().item() < 1e-4


def test_the_five_official_models_have_a_config_each():
    assert [p.stem for p in CONFIG_PATHS] == [
        f'metaformer_{name}_s12_in1k' for name in sorted(OFFICIAL)
    ]


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_config_tests_with_the_official_crop(name):
    """A crop ratio r: the short edge resized to int(224 / r), bicubic,
    then a 224 centre crop, in validation and test alike."""
    cfg = config(name)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        steps = {step.type: step for step in loader.dataset.pipeline}
        resize = steps['ResizeEdge']
        assert resize.scale == int(224 / OFFICIAL[name]['crop'])
        assert (resize.edge, resize.interpolation) == ('short', 'bicubic')
        assert steps['CenterCrop'].crop_size == 224


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_official_checkpoint_converts_loads_strictly_and_predicts_alike(
        name, tmp_path):
    """The release's plain state dict, through tools/convert_checkpoint.py,
    loads with no missing or unexpected key into the config's classifier,
    whose logits at 224 (and, without a spatial FC, whose features at
    another size) are the official model's."""
    reference = official_model(name, seed=len(name))
    src = tmp_path / f'metaformer_{name}_s12_224.pth.tar'
    dst = tmp_path / f'metaformer_{name}_s12_224.pth'
    torch.save(reference.state_dict(), src)
    assert_ok(run_in_process('convert_checkpoint.py', src, dst))
    classifier = build_classifier(config(name))
    assert_loads_strictly(classifier, dst)
    classifier.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert_close(classifier(x, mode='tensor'), reference(x))
        if 'f' not in OFFICIAL[name]['mixers']:
            x = torch.randn(1, 3, 160, 288)
            assert_close(classifier.backbone(x)[-1], reference.features(x))


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_official_checkpoint_loads_into_the_backbone_by_init_cfg(
        name, tmp_path):
    reference = official_model(name, seed=7)
    path = tmp_path / f'metaformer_{name}.pth.tar'
    torch.save(reference.state_dict(), path)
    kwargs = config(name).model.backbone.to_dict()
    kwargs.pop('type')
    kwargs['init_cfg'] = dict(
        type='Pretrained', checkpoint=str(path), keep_classifier_norm=True)
    backbone = PoolFormer(**kwargs)
    backbone.init_weights()  # refuses any missing or unexpected tensor
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert_close(backbone.eval()(x)[-1], reference.features(x))


def test_a_backbone_without_the_embedded_stage_skips_its_embedding(
        tmp_path):
    """ppaa's embedding is before stage 3: a backbone with outputs up to
    stage 2 does not build it, and leaves it out of the load."""
    reference = official_model('ppaa', seed=7)
    path = tmp_path / 'metaformer_ppaa.pth.tar'
    torch.save(reference.state_dict(), path)
    kwargs = config('ppaa').model.backbone.to_dict()
    kwargs.pop('type')
    kwargs.update(out_indices=(0, 1), init_cfg=dict(
        type='Pretrained', checkpoint=str(path)))
    backbone = PoolFormer(**kwargs)
    backbone.init_weights()
    assert backbone.position_embedding(2) is None
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        # Stage 1's output: the stem, stage 0, downsampling, stage 1.
        expected = reference.patch_embed(x)
        for module in reference.network[:3]:
            expected = module(expected)
        assert_close(backbone.eval()(x)[1],
                     backbone.output_norm(1)(expected))


def official_backbone_state(state: Dict[str, torch.Tensor]) -> Dict:
    return {k: v for k, v in state.items() if not k.startswith('head.')}


def test_position_embeddings_of_any_stages_are_found_by_their_keys():
    """Embeddings before every stage shift each later entry of the official
    ``network`` by one more; all come back in place."""
    reference = official_model(
        mixers='papa', norm='ln', pos_embed=(0, 1, 2, 3), seed=2)
    state = official_backbone_state(reference.state_dict())
    assert {k for k in state if k.endswith('pos_embed')} == {
        'network.0.pos_embed', 'network.3.pos_embed', 'network.6.pos_embed',
        'network.9.pos_embed'
    }
    model = PoolFormer(
        's12', token_mixer=('pooling', 'attention') * 2, norm_cfg='ln',
        pos_embed=True, out_indices=(3, ))
    model.load_state_dict(convert_backbone_state_dict(state), strict=True)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert_close(model.eval()(x)[-1], reference.features(x))


def test_a_whole_model_with_official_position_embeddings_is_foreign():
    """tools/test.py converts it before loading: its names are not ours."""
    state = official_backbone_state(official_model('ppaa').state_dict())
    whole = {f'backbone.{k}': v for k, v in state.items()}
    assert foreign_layout(whole) == 'network'
    ours = {f'backbone.{k}': v
            for k, v in convert_backbone_state_dict(state).items()}
    assert foreign_layout(ours) is None
