"""Every checkpoint layout mmpoolformer reads, one row each, and the one
function that maps a row's names to ours.

A layout is recognised by a key only it has (the rows are tried in order);
its names become the official ones, which our backbones carry, by regex
renames; pointwise layers that are 1x1 convolutions in one code base and
linear in the other change shape; and a classifier's final norm and head are
named so that a backbone can skip them and a whole classifier can take them.
"""
import re
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Pattern, Tuple, Union

import torch

StateDict = Dict[str, torch.Tensor]
Rename = Tuple[str, Union[str, Callable[[re.Match], str]]]


@dataclass(frozen=True)
class Family:
    """A backbone family's names.

    Attributes:
        name (str): For messages.
        stage_key (Pattern): Matches the keys of a stage's parts; its
            non-empty group is the part's index in ``container`` (output
            norms share their stage's index).
        container (str): The backbone attribute whose length is the number
            of indices built.
        stride (int): Indices a stage takes in ``container``.
        weight_dims (int): Dimensions of our pointwise layers' weights: 4
            for 1x1 convolutions, 2 for linear layers.
        norm_in_head (bool): A whole classifier keeps the final norm in its
            head (``head.norm``) rather than as the backbone's last output
            norm.
    """
    name: str
    stage_key: Pattern
    container: str
    stride: int
    weight_dims: int
    norm_in_head: bool

    def out_norm(self, stage: int) -> str:
        """The prefix of stage ``stage``'s output norm."""
        return f'norm{self.stride * stage}.'

    def index(self, key: str) -> Optional[int]:
        """The index in ``container`` of the stage part ``key`` (our names)
        belongs to, or None for a key of no stage."""
        m = self.stage_key.match(key)
        return int(next(filter(None, m.groups()))) if m else None

    def num_stages(self, state_dict: StateDict) -> int:
        """Stages of a state dict in our names."""
        return 1 + max(index // self.stride for k in state_dict
                       if (index := self.index(k)) is not None)


# network.{2i} (blocks), network.{2i-1} (downsampling), norm{2i},
# pos_embed{2i}.
POOLFORMER = Family(
    'PoolFormer', re.compile(r'network\.(\d+)\.|norm(\d+)\.|pos_embed(\d+)$'),
    'network', 2, 4, False)
# downsample_layers.{i}, stages.{i}, norm{i}.
BASELINES = Family(
    'MetaFormer Baselines',
    re.compile(r'(?:downsample_layers|stages)\.(\d+)\.|norm(\d+)\.'),
    'stages', 1, 2, True)


@dataclass(frozen=True)
class Layout:
    """A checkpoint layout of a backbone (keys without ``backbone.``).

    Attributes:
        name (str): For messages and :func:`detect`.
        family (Family): The backbones its weights are for.
        marker (str): A key of this layout matches it.
        renames (tuple): ``(pattern, replacement)`` applied in order to
            every key: the official names.
        pointwise (str): Matches the weights of pointwise layers, which take
            the family's ``weight_dims``.
        final_norm (str): Key prefix (official names) of a classifier's
            final norm.
        head (str): Key prefix of a classifier's head; its tensors become
            ``head.fc.*`` of a whole classifier.
        pos_embeds_in_network (bool): Position embeddings may be entries of
            ``network`` (the official MetaFormer hybrids):
            :func:`lift_pos_embeds`.
    """
    name: str
    family: Family
    marker: str
    renames: Tuple[Rename, ...] = ()
    pointwise: str = r'\.mlp\.fc\d\.weight$'
    final_norm: str = 'norm.'
    head: str = 'head.'
    pos_embeds_in_network: bool = False


def _index(times: int, plus: int, prefix: str,
           suffix: str = '') -> Callable[[re.Match], str]:
    """A replacement: ``prefix``, the matched index times ``times`` plus
    ``plus``, ``suffix``."""
    return lambda m: f'{prefix}{times * int(m.group(1)) + plus}.{suffix}'


LAYOUTS = (
    # sail-sg/metaformer and ours.
    Layout('MetaFormer Baselines official', BASELINES, r'downsample_layers\.',
           pointwise=r'\.(mlp\.fc\d|token_mixer\.pwconv\d)\.weight$'),
    # timm's metaformer.py: 1x1 convolutions where the official has linear.
    Layout('MetaFormer Baselines timm', BASELINES,
           r'stem\.norm\.|stages\.\d+\.blocks\.\d+\.res_scale\d\.',
           ((r'^stem\.conv\.', 'downsample_layers.0.conv.'),
            (r'^stem\.norm\.', 'downsample_layers.0.post_norm.'),
            (r'^stages\.(\d+)\.downsample\.norm\.',
             r'downsample_layers.\1.pre_norm.'),
            (r'^stages\.(\d+)\.downsample\.conv\.',
             r'downsample_layers.\1.conv.'),
            (r'^stages\.(\d+)\.blocks\.(\d+)\.', r'stages.\1.\2.'),
            (r'^head\.norm\.', 'norm.')),
           pointwise=r'\.(mlp\.fc\d|token_mixer\.pwconv\d)\.weight$',
           head='head.fc.'),
    # The official sail-sg PoolFormer and MetaFormer, mmpretrain, mmseg 1.x,
    # ours since 0.2 (the hybrids' position embeddings: lift_pos_embeds).
    Layout('network', POOLFORMER, r'network\.\d+\.',
           pos_embeds_in_network=True),
    # timm's poolformer (stem.conv, stages.{i}.blocks.{j}, linear MLPs).
    Layout('timm', POOLFORMER,
           r'stem\.conv\.|stages\.\d+\.blocks\.\d+\.layer_scale\d\.scale$',
           ((r'^stem\.conv\.', 'patch_embed.proj.'),
            (r'^stages\.(\d+)\.downsample\.conv\.',
             _index(2, -1, 'network.', 'proj.')),
            (r'^stages\.(\d+)\.blocks\.', _index(2, 0, 'network.')),
            (r'\.layer_scale(\d)\.scale$', r'.layer_scale_\1'),
            (r'^head\.norm\.', 'norm.')),
           head='head.fc.'),
    # mmpoolformer 0.1: stages.{i}.downsample.proj, stages.{i}.blocks,
    # norm{i}.
    Layout('stages', POOLFORMER, r'stages\.\d+\.(blocks|downsample)\.',
           ((r'^stages\.(\d+)\.downsample\.', _index(2, -1, 'network.')),
            (r'^stages\.(\d+)\.blocks\.', _index(2, 0, 'network.')),
            (r'^norm(\d+)\.', _index(2, 0, 'norm')))),
)


def detect(state_dict: StateDict) -> Optional[Layout]:
    """The layout of a backbone state dict, or None."""
    return next((layout for layout in LAYOUTS if any(
        re.match(layout.marker, k) for k in state_dict)), None)


OFFICIAL_POS_EMBED = re.compile(r'network\.(\d+)\.pos_embed$')


def lift_pos_embeds(state_dict: StateDict) -> StateDict:
    """The official MetaFormer hybrids keep each position embedding as an
    entry of ``network`` of its own (``network.{k}.pos_embed``), which
    shifts the later entries; ours is ``pos_embed{j}`` and every entry
    ``network.{k}`` moves to ``network.{j}``, ``j`` being ``k`` less the
    embeddings before it."""
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
    """Whether a backbone state dict of ``layout`` loads by name: a layout
    without renames, no classifier's final norm or head, no position
    embeddings in ``network``."""
    return not layout.renames and not any(
        k.startswith((layout.final_norm, layout.head))
        or OFFICIAL_POS_EMBED.match(k) for k in state_dict)


@dataclass
class Mapped:
    """A backbone state dict in our names, split as a classifier's is.

    Attributes:
        backbone (dict): The backbone's tensors, output norms included.
        final_norm (dict): A classifier's final norm, under the prefix of
            the last stage's output norm (empty if there is none).
        head (dict): A classifier's head, under ``head.fc.``'s suffixes
            (``weight``, ``fc1.weight``, ...).
    """
    backbone: StateDict
    final_norm: StateDict
    head: StateDict

    def with_final_norm(self) -> StateDict:
        """The backbone's tensors and the final norm as its last output
        norm."""
        return {**self.backbone, **self.final_norm}


def to_ours(state_dict: StateDict, layout: Layout) -> Mapped:
    """The tensors of ``state_dict`` (of ``layout``) under our names."""
    family = layout.family
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
    if layout.pos_embeds_in_network:
        renamed = lift_pos_embeds(renamed)
    norm = family.out_norm(family.num_stages(renamed) - 1)
    final_norm = {norm + k[len(layout.final_norm):]: renamed.pop(k)
                  for k in list(renamed) if k.startswith(layout.final_norm)}
    return Mapped(renamed, final_norm, head)
