"""What loading a checkpoint needs to know of a backbone family's names."""
import re
from dataclasses import dataclass
from typing import Callable, Pattern

from .convert import convert_backbone_state_dict
from .convert_baselines import convert_baseline_state_dict


@dataclass(frozen=True)
class BackboneNames:
    """A backbone family's parameter names.

    Attributes:
        family (str): Its name, for messages.
        convert (Callable): Converts a backbone state dict of any layout the
            family recognises to its names.
        stage_key (Pattern): Matches the keys of a stage's parts; its
            non-empty group is the index the part has in ``container``
            (output norms share their stage's index).
        container (str): The backbone attribute whose length is the number
            of indices built.
    """
    family: str
    convert: Callable
    stage_key: Pattern
    container: str


# network.{2i} (blocks), network.{2i-1} (downsampling), norm{2i},
# pos_embed{2i}.
POOLFORMER_NAMES = BackboneNames(
    'PoolFormer', convert_backbone_state_dict,
    re.compile(r'network\.(\d+)\.|norm(\d+)\.|pos_embed(\d+)$'), 'network')
# downsample_layers.{i}, stages.{i}, norm{i}.
BASELINE_NAMES = BackboneNames(
    'MetaFormer Baselines', convert_baseline_state_dict,
    re.compile(r'(?:downsample_layers|stages)\.(\d+)\.|norm(\d+)\.'),
    'stages')
