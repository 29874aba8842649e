"""State dicts of any layout of :mod:`.layouts` in our models' names: a
backbone's, or a whole detector's, segmentor's or classifier's."""
from typing import Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log

from .errors import CheckpointError
from .layouts import (POOLFORMER, Family, Layout, Mapped, StateDict, detect,
                      has_our_names, to_ours)


def map_backbone(state_dict: StateDict,
                 family: Family) -> Tuple[Layout, Mapped]:
    """The layout of a backbone state dict of ``family`` and its tensors in
    our names, or a CheckpointError naming what it is instead."""
    layout = detect(state_dict)
    if layout is None:
        sample = ', '.join(list(state_dict)[:5])
        raise CheckpointError(
            f'no {family.name} weights recognised (no key of the layouts '
            f'in mmpoolformer.checkpoint.layouts), got keys like: {sample}')
    if layout.family is not family:
        models = 'mmpoolformer.PoolFormer' if layout.family is POOLFORMER \
            else 'mmpoolformer.PoolFormerV2, ConvFormer or CAFormer'
        raise CheckpointError(f'these are {layout.family.name} weights '
                              f'({layout.name} layout): load them into '
                              f'{models}')
    return layout, to_ours(state_dict, layout)


def convert_backbone_state_dict(state_dict: StateDict,
                                family: Family = POOLFORMER) -> StateDict:
    """A backbone state dict of any layout of ``family`` in our names, a
    classifier's final norm as the last output norm, its head dropped (and
    logged); a CheckpointError where no weights of ``family`` are found."""
    layout, mapped = map_backbone(state_dict, family)
    head = [layout.head + k for k in mapped.head]
    print_log(f'{family.name}: loading {len(state_dict)} tensors of the '
              f'{layout.name} layout under our names' +
              (f', without the {len(head)} of its head: {", ".join(head)}'
               if head else ''), logger='current')
    return mapped.with_final_norm()


def convert_on_load(backbone: nn.Module, state_dict: StateDict, prefix: str,
                    *args) -> None:
    """A ``load_state_dict`` pre-hook converting the backbone's keys of
    another layout of its family in place (another family's: an error)."""
    keys = [k for k in state_dict if k.startswith(prefix)]
    local = {k[len(prefix):]: state_dict[k] for k in keys}
    layout, family = detect(local), backbone.checkpoint_family
    if layout is None or (layout.family is family
                          and has_our_names(local, layout)):
        return
    try:
        converted = convert_backbone_state_dict(local, family)
    except CheckpointError as error:
        args[-1].append(str(error))
        return
    for key in keys:
        del state_dict[key]
    state_dict.update({prefix + k: v for k, v in converted.items()})


def split_backbone(state_dict: StateDict,
                   prefix: str = 'backbone.') -> Tuple[StateDict, StateDict]:
    """(The tensors under ``prefix``, without it; the rest)."""
    backbone = {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }
    rest = {k: v for k, v in state_dict.items() if not k.startswith(prefix)}
    return backbone, rest


def convert_state_dict(state_dict: StateDict) -> StateDict:
    """A whole-model state dict in our configs' names: a model's
    ``backbone.*`` converted, the rest kept; a bare backbone or classifier
    (official, timm) as our classifiers name it (``backbone.*``,
    ``head.fc.*``, the final norm in the backbone or, for the Baselines,
    ``head.norm``). A CheckpointError where no family's weights are found.
    """
    backbone, rest = split_backbone(state_dict)
    layout = detect(backbone or state_dict)
    if layout is None:
        raise CheckpointError(
            'no PoolFormer or MetaFormer Baselines weights recognised, got '
            f'keys like: {", ".join(list(state_dict)[:5])}')
    mapped = to_ours(backbone or state_dict, layout)
    if backbone:
        return {**{f'backbone.{k}': v
                   for k, v in mapped.with_final_norm().items()}, **rest}
    final_norm = {
        f'head.norm.{k.split(".", 1)[1]}': v
        for k, v in mapped.final_norm.items()
    } if layout.family.norm_in_head else {
        f'backbone.{k}': v for k, v in mapped.final_norm.items()}
    return {**{f'backbone.{k}': v for k, v in mapped.backbone.items()},
            **final_norm,
            **{f'head.fc.{k}': v for k, v in mapped.head.items()}}


def foreign_layout(state_dict: StateDict) -> Optional[str]:
    """The layout of a checkpoint our models' names do not fit, else None
    (a whole model of ours, or no layout here)."""
    backbone, _ = split_backbone(state_dict)
    layout = detect(backbone or state_dict)
    if layout is None:
        return None
    if backbone and has_our_names(backbone, layout):
        return None
    return layout.name
