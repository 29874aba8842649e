"""Loading pretrained weights into a PoolFormer backbone, exactly or not at
all."""
import re
from typing import Optional

import torch.nn as nn
from mmengine.logging import print_log

from .convert import convert_backbone_state_dict, split_backbone
from .errors import CheckpointError
from .safe_load import load_state_dict

MAX_LISTED = 6


def _listing(keys) -> str:
    keys = sorted(keys)
    more = f' and {len(keys) - MAX_LISTED} more' \
        if len(keys) > MAX_LISTED else ''
    return ', '.join(keys[:MAX_LISTED]) + more


def load_pretrained_backbone(backbone: nn.Module,
                             filename: str,
                             prefix: Optional[str] = None) -> None:
    """Loads ``filename`` (path or URL) into ``backbone``.

    Any recognised layout is converted first. Output norms that the
    checkpoint lacks (a classification checkpoint has only the last) keep
    their initialisation, and weights of stages the backbone does not build
    (after its last output) are skipped; both are reported once in the log.
    Anything else that does not match raises.

    Args:
        backbone (nn.Module): A :class:`mmpoolformer.PoolFormer`.
        filename (str): Checkpoint path or URL.
        prefix (str, optional): Take only the keys under this prefix (e.g.
            ``'backbone.'``). Defaults to None: ``backbone.`` keys when the
            checkpoint is a whole model, else all keys.

    Raises:
        CheckpointError: the file is missing, unreadable or unsafe, holds no
            PoolFormer weights, or is of another arch (missing, unexpected or
            differently shaped tensors). The message names the file.
    """
    state_dict = load_state_dict(filename)
    if prefix:
        state_dict, _ = split_backbone(state_dict, prefix)
        if not state_dict:
            raise CheckpointError(f'{filename} has no keys under the prefix '
                                  f'{prefix!r}')
    else:
        backbone_part, _ = split_backbone(state_dict)
        state_dict = backbone_part or state_dict
    try:
        state_dict = convert_backbone_state_dict(state_dict)
    except CheckpointError as error:
        raise CheckpointError(f'{filename}: {error}') from None

    own = backbone.state_dict()
    # network.{k} and norm{k} share their index: stage i is network.{2i}.
    built = len(backbone.network)
    skipped = {
        k for k in state_dict
        if (m := re.match(r'network\.(\d+)\.|norm(\d+)\.', k)) and k not in own
        and int(m.group(1) or m.group(2)) >= built
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
            f'{filename} does not fit this PoolFormer (another arch, token '
            f'mixer or network?): ' + '; '.join(problems))

    backbone.load_state_dict(
        {k: v for k, v in state_dict.items() if k in own}, strict=False)
    notes = [f'loaded {len(own) - len(fresh_norms)} tensors from {filename}']
    if fresh_norms:
        notes.append('output norms not in the checkpoint keep their '
                     f'initialisation: {_listing(fresh_norms)}')
    if skipped or unused_norms:
        notes.append('skipped tensors of stages/norms this backbone does not '
                     f'build: {_listing(skipped | unused_norms)}')
    print_log('PoolFormer: ' + '; '.join(notes), logger='current')
