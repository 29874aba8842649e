"""Loading pretrained weights into a PoolFormer backbone, exactly or not at
all."""
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
    """The backbone's tensors of a checkpoint (those under ``prefix``, else
    under ``backbone.`` in a whole model, else all) and the others."""
    backbone, rest = split_backbone(state_dict, prefix or 'backbone.')
    if prefix and not backbone:
        raise CheckpointError(f'{filename} has no keys under the prefix '
                              f'{prefix!r}')
    return (backbone, rest) if backbone else (state_dict, {})


def is_classifier(backbone: StateDict, rest: StateDict) -> bool:
    """Whether a checkpoint is an image classifier's.

    Args:
        backbone (dict): Its backbone tensors, as they are stored.
        rest (dict): Its other tensors; empty for a bare backbone.

    Returns:
        bool: True for a bare backbone with the official final norm
        (``norm.*``) or a head (``head.*``: the official code's, timm's), and
        for a whole model whose other tensors are all its head's (mmpretrain's
        ``ImageClassifier``).
    """
    if rest:
        return all(k.startswith('head.') for k in rest)
    return any(k.startswith(('norm.', 'head.')) for k in backbone)


def _last_norm_keys(state_dict: StateDict) -> List[str]:
    """The keys of the last output norm in a converted classifier's state
    dict: its final norm."""
    indices = [
        int(m.group(1)) for k in state_dict
        if (m := re.match(r'norm(\d+)\.', k))
    ]
    if not indices:
        return []
    last = f'norm{max(indices)}.'
    return sorted(k for k in state_dict if k.startswith(last))


def load_pretrained_backbone(backbone: nn.Module,
                             filename: str,
                             prefix: Optional[str] = None,
                             keep_classifier_norm: bool = False,
                             family: Family = POOLFORMER) -> None:
    """Loads ``filename`` (path or URL) into ``backbone``.

    Any recognised layout is converted first. A classification checkpoint's
    final norm (see :func:`is_classifier`) is skipped unless
    ``keep_classifier_norm``, as the official detection and segmentation
    code does. Output norms that the checkpoint lacks (a classification
    checkpoint has only the last) keep their initialisation, and weights of
    stages the backbone does not build (after its last output) are skipped;
    these are reported once in the log. Anything else that does not match
    raises.

    Args:
        backbone (nn.Module): A :class:`mmpoolformer.PoolFormer` or a
            backbone of the family ``family``.
        filename (str): Checkpoint path or URL.
        prefix (str, optional): Take only the keys under this prefix (e.g.
            ``'backbone.'``). Defaults to None: ``backbone.`` keys when the
            checkpoint is a whole model, else all keys.
        keep_classifier_norm (bool): Load a classification checkpoint's final
            norm into the last stage's output norm. Defaults to False: that
            norm keeps its initialisation (weight 1, bias 0).
        family (Family): The backbone's family (``layouts.POOLFORMER``,
            the default, or ``layouts.BASELINES``).

    Raises:
        CheckpointError: the file is missing, unreadable or unsafe, holds no
            PoolFormer weights, or is of another arch (missing, unexpected or
            differently shaped tensors). The message names the file.
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
    built = len(backbone.stages)
    skipped = {
        k for k in state_dict
        if k not in own and (stage := stage_of(k)) is not None
        and stage >= built
    }
    unused_norms = {
        k for k in state_dict
        if re.match(r'norm\d+\.', k) and k not in own and k not in skipped
    }
    unexpected = set(state_dict) - set(own) - skipped - unused_norms
    missing = set(own) - set(state_dict)
    fresh_norms = {k for k in missing if re.match(r'norm\d+\.', k)}
    missing -= fresh_norms
    mismatched = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(own[k].shape)}'
        for k in set(state_dict) & set(own)
        if state_dict[k].shape != own[k].shape
    ]
    problems = []
    if mismatched:
        problems.append(f'shapes differ (checkpoint vs model): '
                        f'{_listing(mismatched)}')
    if missing:
        problems.append(f'{len(missing)} model tensors are not in it: '
                        f'{_listing(missing)}')
    if unexpected:
        problems.append(f'{len(unexpected)} of its tensors have no place in '
                        f'the model: {_listing(unexpected)}')
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
    if skipped or unused_norms:
        notes.append('skipped tensors of stages/norms this backbone does not '
                     f'build: {_listing(skipped | unused_norms)}')
    print_log(f'{family.name}: ' + '; '.join(notes), logger='current')
