"""Checkpoint loading that cannot run code: ``weights_only=True`` with an
allow-list of what mmengine's Runner writes besides tensors (its history
buffers and their numpy values)."""
import os.path as osp
import pickle
import zipfile
from typing import Any, Dict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from .errors import CheckpointError

URL_PREFIXES = ('http://', 'https://')
# HistoryBuffer pickles its statistics methods as getattr(HistoryBuffer, name).
HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')


def _history_buffer_method(owner: Any, name: str) -> Any:
    """``getattr`` while unpickling, for HistoryBuffer's methods only."""
    if owner is HistoryBuffer and name in HISTORY_BUFFER_METHODS:
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'getattr({owner!r}, {name!r}) is not allow-listed')


def _mmengine_safe_globals() -> list:
    multiarray = np._core.multiarray
    numpy_dtypes = {type(np.dtype(t)) for t in np.sctypeDict.values()}
    return [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        multiarray._reconstruct,
        multiarray.scalar,
        # The names numpy 1.x wrote into checkpoints saved with it.
        (multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
        (multiarray.scalar, 'numpy.core.multiarray.scalar'),
        *sorted(numpy_dtypes, key=str),
        (_history_buffer_method, 'builtins.getattr'),
    ]


def load_checkpoint_file(filename: str, map_location: Any = 'cpu') -> Any:
    """Loads a file or URL (cached by torch's hub) with
    ``weights_only=True``; a CheckpointError where it is missing, cannot be
    downloaded or read, or holds objects outside the allow-list."""
    try:
        if filename.startswith(URL_PREFIXES):
            return torch.hub.load_state_dict_from_url(
                filename, map_location=map_location, weights_only=True)
        if not osp.isfile(filename):
            raise CheckpointError(f'checkpoint not found: {filename}')
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        reason = str(error).strip().splitlines()[-1] if str(error) else ''
        raise CheckpointError(
            f'refused to load {filename}: it holds objects that are not '
            f'tensors or allow-listed types and could run code when '
            f'unpickled ({reason})') from None
    # Random bytes make the unpickler fail in any of these ways.
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError,
            IndexError, KeyError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(
            f'cannot read checkpoint {filename}: corrupt, truncated or not '
            f'a PyTorch checkpoint ({type(error).__name__}: '
            f'{str(error).strip().splitlines()[0] if str(error) else ""})'
        ) from None


def load_state_dict(filename: str,
                    map_location: Any = 'cpu') -> Dict[str, torch.Tensor]:
    """The state dict of a checkpoint loaded safely (its ``state_dict`` or
    ``model`` entry where it has one)."""
    checkpoint = load_checkpoint_file(filename, map_location)
    if isinstance(checkpoint, dict):
        for key in ('state_dict', 'model'):
            if isinstance(checkpoint.get(key), dict):
                checkpoint = checkpoint[key]
                break
    if not isinstance(checkpoint, dict) or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise CheckpointError(
            f'{filename} holds no state dict (a mapping of names to tensors)')
    return checkpoint


def allow_mmengine_checkpoint_types() -> None:
    """Adds mmengine's checkpoint types to torch's ``weights_only``
    allow-list (``import mmpoolformer``'s one process-wide change), without
    which mmengine 0.10 resumes no Runner checkpoint on torch >= 2.6."""
    torch.serialization.add_safe_globals(_mmengine_safe_globals())
