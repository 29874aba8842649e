"""Loading pretrained weights into a backbone, exactly or not at all."""
import re
from typing import List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log

from .convert import convert_backbone_state_dict, split_backbone
from .errors import CheckpointError
from .layouts import POOLFORMER, Family, StateDict, stage_of
from .safe_load import load_state_dict

MAX_LISTED = 6


def _listing(keys) -> str:
    keys = sorted(keys)
    more = f' and {len(keys) - MAX_LISTED} more' \
        if len(keys) > MAX_LISTED else ''
    return ', '.join(keys[:MAX_LISTED]) + more


def _backbone_and_rest(state_dict: StateDict, filename: str,
                       prefix: Optional[str]) -> Tuple[StateDict, StateDict]:
    """(The backbone's tensors: under ``prefix``, else ``backbone.``, else
    all; the others)."""
    backbone, rest = split_backbone(state_dict, prefix or 'backbone.')
    if prefix and not backbone:
        raise CheckpointError(f'{filename} has no keys under the prefix '
                              f'{prefix!r}')
    return (backbone, rest) if backbone else (state_dict, {})


def is_classifier(backbone: StateDict, rest: StateDict) -> bool:
    """Whether a checkpoint is a classifier's: a bare backbone with the
    final ``norm.*`` or ``head.*``, or a whole model whose ``rest`` is all
    ``head.*`` (mmpretrain's)."""
    if rest:
        return all(k.startswith('head.') for k in rest)
    return any(k.startswith(('norm.', 'head.')) for k in backbone)


def _is_output_norm(key: str) -> bool:
    return re.match(r'norm\d+\.', key) is not None


def _last_norm_keys(state_dict: StateDict) -> List[str]:
    """The keys of the last output norm."""
    norms = [k for k in state_dict if _is_output_norm(k)]
    last = max((stage_of(k) for k in norms), default=None)
    return sorted(k for k in norms if stage_of(k) == last)


def load_pretrained_backbone(backbone: nn.Module,
                             filename: str,
                             prefix: Optional[str] = None,
                             keep_classifier_norm: bool = False,
                             family: Family = POOLFORMER) -> None:
    """Loads ``filename`` (path or URL, any layout of ``family``) into
    ``backbone``, exactly or not at all.

    A classifier's final norm is skipped (unless ``keep_classifier_norm``),
    as the official detection and segmentation code does; so are stages the
    backbone does not build, and output norms the checkpoint lacks keep
    their initialisation; the log says which. ``prefix``: only the keys
    under it (by default ``backbone.`` in a whole model, else all).

    Raises:
        CheckpointError: The file is missing, unreadable or unsafe, holds no
            weights of ``family``, or is of another arch; the message names
            the file and the tensors.
    """
    stored, rest = _backbone_and_rest(
        load_state_dict(filename), filename, prefix)
    try:
        state_dict = convert_backbone_state_dict(stored, family)
    except CheckpointError as error:
        raise CheckpointError(f'{filename}: {error}') from None
    classifier_norm = [] if keep_classifier_norm or not is_classifier(
        stored, rest) else _last_norm_keys(state_dict)
    state_dict = {
        k: v for k, v in state_dict.items() if k not in classifier_norm
    }

    own = backbone.state_dict()
    loaded, model = set(state_dict), set(own)
    # Tensors of stages or output norms that this backbone does not build.
    skipped = {
        k for k in loaded - model
        if _is_output_norm(k) or (stage_of(k) or 0) >= len(backbone.stages)
    }
    fresh_norms = {k for k in model - loaded if _is_output_norm(k)}
    missing = model - loaded - fresh_norms
    unexpected = loaded - model - skipped
    mismatched = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(own[k].shape)}'
        for k in loaded & model if state_dict[k].shape != own[k].shape
    ]
    problems = [
        f'{what}: {_listing(keys)}' for what, keys in (
            ('shapes differ (checkpoint vs model)', mismatched),
            (f'{len(missing)} model tensors are not in it', missing),
            (f'{len(unexpected)} of its tensors have no place in the model',
             unexpected)) if keys
    ]
    if problems:
        raise CheckpointError(
            f'{filename} does not fit this {family.name} backbone (another '
            f'arch, token mixer or network?): ' + '; '.join(problems))

    backbone.load_state_dict(
        {k: v for k, v in state_dict.items() if k in own}, strict=False)
    notes = [f'loaded {len(own) - len(fresh_norms)} tensors from {filename}']
    if classifier_norm:
        notes.append('skipped the classifier\'s final norm, as the official '
                     'detection and segmentation code does (init_cfg '
                     'keep_classifier_norm=True loads it): '
                     f'{_listing(classifier_norm)}')
    if fresh_norms - set(classifier_norm):
        notes.append('output norms not in the checkpoint keep their '
                     'initialisation: '
                     f'{_listing(fresh_norms - set(classifier_norm))}')
    if skipped:
        notes.append('skipped tensors of stages/norms this backbone does not '
                     f'build: {_listing(skipped)}')
    print_log(f'{family.name}: ' + '; '.join(notes), logger='current')
