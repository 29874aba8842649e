"""Maps PoolFormer checkpoints of other code bases to the official
parameter names, which our backbone uses.

Layouts recognised, by their keys:

- ``network``: the official sail-sg code, mmpretrain, mmseg 1.x and ours.
  The stem is ``patch_embed.proj``; ``network.{2i}.{j}`` is block ``j`` of
  stage ``i``, ``network.{2i-1}.proj`` the downsampling into stage ``i``; the
  output norms are ``norm{2i}`` (the official detection/segmentation code,
  mmpretrain, ours) or ``norm`` (classification: the last stage). Loads by
  name; only a classification ``norm`` is renamed, and the position
  embeddings of the official MetaFormer hybrids: each is an entry of
  ``network`` of its own (``network.{k}.pos_embed``, before the blocks it is
  added to), which shifts the later entries; ours is ``pos_embed{2i}``
  beside ``network.{2i}``.
- ``timm``: ``stem.conv``, ``stages.{i}.downsample.conv``,
  ``stages.{i}.blocks.{j}`` with ``layer_scale{1,2}.scale``, ``head.norm``.
- ``stages``: mmpoolformer before 0.2, ``patch_embed.proj``,
  ``stages.{i}.downsample.proj``, ``stages.{i}.blocks.{j}``, ``norm{i}``.

Classification heads (``head.*`` besides timm's ``head.norm``) are dropped.
"""
import re
from functools import partial
from typing import Dict, List, Tuple

import torch
from mmengine.logging import print_log

from .convert_baseline_classifier import convert_baseline_classifier
from .convert_baselines import (convert_baseline_state_dict,
                                detect_baseline_layout)
from .errors import CheckpointError

StateDict = Dict[str, torch.Tensor]


def detect_layout(state_dict: StateDict) -> str:
    """Names the layout of a backbone state dict: 'network', 'timm',
    'stages', or 'unknown'."""
    keys = list(state_dict)
    if any(k.startswith('network.') for k in keys):
        return 'network'
    if any(k.startswith('stem.conv.') for k in keys) or any(
            re.match(r'stages\.\d+\.blocks\.\d+\.layer_scale\d\.scale$', k)
            for k in keys):
        return 'timm'
    if any(re.match(r'stages\.\d+\.(blocks|downsample)\.', k) for k in keys):
        return 'stages'
    return 'unknown'


OFFICIAL_POS_EMBED = re.compile(r'network\.(\d+)\.pos_embed$')


def has_official_pos_embeds(state_dict: StateDict) -> bool:
    """Whether a backbone state dict holds position embeddings as entries
    of ``network`` (the official MetaFormer's layout)."""
    return any(OFFICIAL_POS_EMBED.match(k) for k in state_dict)


def _lift_pos_embeds(state_dict: StateDict) -> StateDict:
    """The official MetaFormer's ``network`` without its position
    embedding entries: ``network.{k}.pos_embed`` becomes ``pos_embed{j}``
    and every entry ``network.{k}`` moves to ``network.{j}``, ``j`` being
    ``k`` less the embeddings before it."""
    embeds = [
        int(m.group(1)) for k in state_dict
        if (m := OFFICIAL_POS_EMBED.match(k))
    ]

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


def _num_stages(keys: List[str], layout: str) -> int:
    if layout == 'network':
        last = max(
            int(k.split('.')[1]) for k in keys if k.startswith('network.'))
        return last // 2 + 1
    return 1 + max(int(k.split('.')[1]) for k in keys if k.startswith('stages.'))


def _from_network(key: str, num_stages: int) -> str:
    # A classification checkpoint's final norm is the last stage's.
    return re.sub(r'^norm\.', f'norm{2 * (num_stages - 1)}.', key)


def _from_stages(key: str, num_stages: int) -> str:
    """Our earlier layout and timm's, once their own names are mapped."""
    key = re.sub(r'^stages\.(\d+)\.downsample\.',
                 lambda m: f'network.{2 * int(m.group(1)) - 1}.', key)
    key = re.sub(r'^stages\.(\d+)\.blocks\.',
                 lambda m: f'network.{2 * int(m.group(1))}.', key)
    return re.sub(r'^norm(\d+)\.', lambda m: f'norm{2 * int(m.group(1))}.',
                  key)


def _from_timm(key: str, num_stages: int) -> str:
    key = re.sub(r'^stem\.conv\.', 'patch_embed.proj.', key)
    key = re.sub(r'^(stages\.\d+\.downsample)\.conv\.', r'\1.proj.', key)
    key = re.sub(r'\.layer_scale(\d)\.scale$', r'.layer_scale_\1', key)
    key = re.sub(r'^head\.norm\.', f'norm{num_stages - 1}.', key)
    return _from_stages(key, num_stages)


RENAMES = {'network': _from_network, 'timm': _from_timm,
           'stages': _from_stages}


def _is_head(key: str, layout: str) -> bool:
    if layout == 'timm' and key.startswith('head.norm.'):
        return False
    return key.startswith('head.')


def convert_backbone_state_dict(state_dict: StateDict) -> StateDict:
    """Converts a backbone state dict of any recognised layout to the
    official names.

    Args:
        state_dict (dict): Parameter names to tensors, without a
            ``backbone.`` prefix.

    Returns:
        dict: The same tensors under our names; classification heads are
        dropped (and listed in the log).

    Raises:
        CheckpointError: no PoolFormer weights were recognised.
    """
    if detect_baseline_layout(state_dict):
        raise CheckpointError(
            'these are MetaFormer Baselines weights: load them into '
            'mmpoolformer.PoolFormerV2, ConvFormer or CAFormer')
    layout = detect_layout(state_dict)
    if layout == 'unknown':
        sample = ', '.join(list(state_dict)[:5])
        raise CheckpointError(
            'no PoolFormer weights recognised (expected official/mmpretrain '
            '"network.*", timm "stem.*"/"stages.*.blocks" or earlier '
            f'mmpoolformer "stages.*" keys), got keys like: {sample}')
    if layout == 'network':
        state_dict = _lift_pos_embeds(state_dict)
    rename = partial(RENAMES[layout],
                     num_stages=_num_stages(list(state_dict), layout))
    converted, dropped = {}, []
    for key, value in state_dict.items():
        if _is_head(key, layout):
            dropped.append(key)
            continue
        new_key = rename(key)
        # timm may store the MLP as linear layers; ours are 1x1 convolutions.
        if re.search(r'\.mlp\.fc\d\.weight$', new_key) and value.dim() == 2:
            value = value[:, :, None, None]
        converted[new_key] = value
    if dropped:
        print_log(f'PoolFormer checkpoint ({layout} layout): dropped '
                  f'{len(dropped)} head tensors: {", ".join(dropped)}',
                  logger='current')
    return converted


def split_backbone(state_dict: StateDict,
                   prefix: str = 'backbone.') -> Tuple[StateDict, StateDict]:
    """Splits a whole-model state dict into (backbone without prefix, the
    rest)."""
    backbone = {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }
    rest = {k: v for k, v in state_dict.items() if not k.startswith(prefix)}
    return backbone, rest


def _classifier_head(state_dict: StateDict, layout: str) -> StateDict:
    """The linear classifier of a bare checkpoint, under mmpretrain's
    ``LinearClsHead`` names (``head.fc.*``)."""
    prefix = {'network': 'head.', 'timm': 'head.fc.'}.get(layout)
    if prefix is None:
        return {}
    return {
        f'head.fc.{k[len(prefix):]}': v
        for k, v in state_dict.items()
        if k.startswith(prefix) and k[len(prefix):] in ('weight', 'bias')
    }


def convert_state_dict(state_dict: StateDict) -> StateDict:
    """Converts a backbone, classifier, detector or segmentor checkpoint to
    the whole-model names our configs use.

    A whole model (keys under ``backbone.``: mmpretrain classifiers, models
    trained with an earlier mmpoolformer) keeps every other key as it is and
    gets its backbone part converted; the official mmdet 2.x / mmseg 0.x and
    mmseg 1.x releases already have the official names. A bare checkpoint (the official
    ImageNet ``.pth.tar``, timm) becomes ``backbone.*`` plus its linear
    classifier as ``head.fc.*``, so it evaluates as an mmpretrain
    ``ImageClassifier``. MetaFormer Baselines weights (PoolFormerV2,
    ConvFormer, CAFormer) convert the same way; a bare classifier of theirs
    becomes the classifier of our configs (see
    :func:`convert_baseline_classifier`).

    Raises:
        CheckpointError: no PoolFormer weights were recognised.
    """
    backbone, rest = split_backbone(state_dict)
    if not backbone and detect_baseline_layout(state_dict):
        return convert_baseline_classifier(state_dict)
    if not backbone:
        backbone = state_dict
        rest = _classifier_head(state_dict, detect_layout(state_dict))
    convert = convert_baseline_state_dict if detect_baseline_layout(
        backbone) else convert_backbone_state_dict
    converted = convert(backbone)
    return {**{f'backbone.{k}': v for k, v in converted.items()}, **rest}
