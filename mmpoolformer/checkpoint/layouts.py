"""Every checkpoint layout read, one row each, and :func:`to_ours`, which
maps a row's names to ours (the official MetaFormer Baselines')."""
import re
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple, Union

import torch

StateDict = Dict[str, torch.Tensor]
Rename = Tuple[str, Union[str, Callable[[re.Match], str]]]


# Our keys of stage i: downsample_layers.{i}, stages.{i}, norm{i},
# pos_embed{i}.
STAGE_KEY = re.compile(
    r'(?:downsample_layers|stages)\.(\d+)\.|norm(\d+)\.|pos_embed(\d+)$')


def stage_of(key: str) -> Optional[int]:
    """The stage of a key of ours, or None."""
    m = STAGE_KEY.match(key)
    return int(next(filter(None, m.groups()))) if m else None


@dataclass(frozen=True)
class Family:
    """Models whose weights fit each other: the dimensions of their
    pointwise weights (4: 1x1 convolutions, 2: linear), and whether their
    classifiers keep the final norm in the head (``head.norm``)."""
    name: str
    weight_dims: int
    norm_in_head: bool


POOLFORMER = Family('PoolFormer', 4, False)
BASELINES = Family('MetaFormer Baselines', 2, True)


def num_stages(state_dict: StateDict) -> int:
    """Stages of a state dict in our names."""
    return 1 + max(stage for k in state_dict
                   if (stage := stage_of(k)) is not None)


@dataclass(frozen=True)
class Layout:
    """A backbone checkpoint layout (keys without ``backbone.``): its
    ``family``; a ``marker`` matching a key only it has (of ``marker_dims``
    dimensions where given; rows tried in order); ``renames``, (pattern,
    replacement) pairs applied in order to each key; ``pointwise`` weights
    (our names) reshaped to the family's; the key prefixes of a
    classifier's ``final_norm`` (our names) and ``head``; whether position
    embeddings may be entries of ``network`` (:func:`lift_pos_embeds`)."""
    name: str
    family: Family
    marker: str
    marker_dims: Optional[int] = None
    renames: Tuple[Rename, ...] = ()
    pointwise: str = r'\.mlp\.fc\d\.weight$'
    final_norm: str = 'norm.'
    head: str = 'head.'
    pos_embeds_in_network: bool = False


def _stage(plus: int, prefix: str,
           suffix: str = '') -> Callable[[re.Match], str]:
    """The replacement of an index ``k`` into the official ``network``
    (``2i``: stage ``i``'s blocks, ``2i - 1``: the downsampling into it):
    ``prefix``, ``(k + plus) // 2``, ``suffix``."""
    return lambda m: f'{prefix}{(int(m.group(1)) + plus) // 2}{suffix}'


# PoolFormer's stem and layer scales in its official names.
OFFICIAL_STEM = (r'^patch_embed\.proj\.', 'downsample_layers.0.conv.')
OFFICIAL_LAYER_SCALE = (r'\.layer_scale_(\d)$', r'.layer_scale\1.scale')
# timm's metaformer.py, for both families (timm's PoolFormer is one).
TIMM = (
    (r'^stem\.conv\.', 'downsample_layers.0.conv.'),
    (r'^stem\.norm\.', 'downsample_layers.0.post_norm.'),
    (r'^stages\.(\d+)\.downsample\.norm\.', r'downsample_layers.\1.pre_norm.'),
    (r'^stages\.(\d+)\.downsample\.conv\.', r'downsample_layers.\1.conv.'),
    (r'^stages\.(\d+)\.blocks\.(\d+)\.', r'stages.\1.\2.'),
    (r'^head\.norm\.', 'norm.'),
)
BASELINE_POINTWISE = r'\.(mlp\.fc\d|token_mixer\.pwconv\d)\.weight$'

LAYOUTS = (
    # Ours: a PoolFormer's 1x1-convolution MLPs tell it from a Baselines
    # model.
    Layout('PoolFormer', POOLFORMER,
           r'stages\.\d+\.\d+\.mlp\.fc1\.weight$', marker_dims=4),
    # sail-sg/metaformer and ours.
    Layout('MetaFormer Baselines official', BASELINES,
           r'downsample_layers\.', pointwise=BASELINE_POINTWISE),
    # timm's metaformer.py: 1x1 convolutions where the official has linear.
    Layout('MetaFormer Baselines timm', BASELINES,
           r'stem\.norm\.|stages\.\d+\.blocks\.\d+\.res_scale\d\.',
           renames=TIMM, pointwise=BASELINE_POINTWISE, head='head.fc.'),
    # The official sail-sg PoolFormer and MetaFormer, mmpretrain, mmseg 1.x,
    # mmpoolformer 0.2 and 0.3 (the hybrids' position embeddings:
    # lift_pos_embeds): patch_embed.proj, network.{2i-1}.proj (downsampling
    # into stage i), network.{2i}.{j} (its blocks), norm{2i}, pos_embed{2i}.
    Layout('network', POOLFORMER, r'network\.\d+\.',
           renames=(OFFICIAL_STEM,
                    (r'^network\.(\d+)\.proj\.',
                     _stage(1, 'downsample_layers.', '.conv.')),
                    (r'^network\.(\d+)\.', _stage(0, 'stages.', '.')),
                    OFFICIAL_LAYER_SCALE,
                    (r'^norm(\d+)\.', _stage(0, 'norm', '.')),
                    (r'^pos_embed(\d+)$', _stage(0, 'pos_embed'))),
           pos_embeds_in_network=True),
    # timm's poolformer.
    Layout('timm', POOLFORMER,
           r'stem\.conv\.|stages\.\d+\.blocks\.\d+\.layer_scale\d\.scale$',
           renames=TIMM, head='head.fc.'),
    # mmpoolformer 0.1: patch_embed.proj, stages.{i}.downsample.proj,
    # stages.{i}.blocks, norm{i}.
    Layout('stages', POOLFORMER, r'stages\.\d+\.(blocks|downsample)\.',
           renames=(OFFICIAL_STEM,
                    (r'^stages\.(\d+)\.downsample\.proj\.',
                     r'downsample_layers.\1.conv.'),
                    (r'^stages\.(\d+)\.blocks\.', r'stages.\1.'),
                    OFFICIAL_LAYER_SCALE)),
)


def detect(state_dict: StateDict) -> Optional[Layout]:
    """The layout of a backbone state dict, or None."""
    return next((layout for layout in LAYOUTS if any(
        re.match(layout.marker, k) and layout.marker_dims in (None, v.dim())
        for k, v in state_dict.items())), None)


OFFICIAL_POS_EMBED = re.compile(r'network\.(\d+)\.pos_embed$')


def lift_pos_embeds(state_dict: StateDict) -> StateDict:
    """The official hybrids' position embeddings, entries
    ``network.{k}.pos_embed`` of their own, as ``pos_embed{j}``, and each
    ``network.{k}`` as ``network.{j}``, ``j`` being ``k`` less the
    embeddings before it (the official PoolFormer's names)."""
    embeds = [int(m.group(1)) for k in state_dict
              if (m := OFFICIAL_POS_EMBED.match(k))]

    def ours(index: int) -> int:
        return index - sum(e < index for e in embeds)

    lifted = {}
    for key, value in state_dict.items():
        if m := OFFICIAL_POS_EMBED.match(key):
            key = f'pos_embed{ours(int(m.group(1)))}'
        else:
            key = re.sub(r'^network\.(\d+)\.',
                         lambda m: f'network.{ours(int(m.group(1)))}.', key)
        lifted[key] = value
    return lifted


def has_our_names(state_dict: StateDict, layout: Layout) -> bool:
    """Whether a backbone state dict of ``layout`` loads by name."""
    return not layout.renames and not any(
        k.startswith((layout.final_norm, layout.head))
        or OFFICIAL_POS_EMBED.match(k) for k in state_dict)


@dataclass
class Mapped:
    """A backbone state dict in our names: the backbone's tensors, a
    classifier's final norm (as the last output norm) and head (keys after
    ``head.fc.``), each maybe empty."""
    backbone: StateDict
    final_norm: StateDict
    head: StateDict

    def with_final_norm(self) -> StateDict:
        """The backbone's tensors and the final norm."""
        return {**self.backbone, **self.final_norm}


def to_ours(state_dict: StateDict, layout: Layout) -> Mapped:
    """The tensors of ``state_dict`` (of ``layout``) under our names."""
    family = layout.family
    if layout.pos_embeds_in_network:
        state_dict = lift_pos_embeds(state_dict)
    renamed, head = {}, {}
    for key, value in state_dict.items():
        if key.startswith(layout.head):
            head[key[len(layout.head):]] = value
            continue
        for pattern, replacement in layout.renames:
            key = re.sub(pattern, replacement, key)
        if re.search(layout.pointwise, key) and value.dim() != \
                family.weight_dims:
            value = value.reshape(*value.shape[:2],
                                  *(1, ) * (family.weight_dims - 2))
        renamed[key] = value
    norm = f'norm{num_stages(renamed) - 1}.'
    final_norm = {norm + k[len(layout.final_norm):]: renamed.pop(k)
                  for k in list(renamed) if k.startswith(layout.final_norm)}
    return Mapped(renamed, final_norm, head)
