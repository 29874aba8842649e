"""Whole checkpoints in another code base's layout, converted to the names
our configs' models have, as files: ``tools/convert_checkpoint.py``."""
import io

import torch

from .atomic_save import AtomicLocalBackend
from .convert import convert_state_dict
from .errors import CheckpointError
from .safe_load import load_state_dict


def convert_checkpoint_file(src: str, dst: str) -> int:
    """Saves the checkpoint ``src`` (path or URL, read safely) to ``dst``
    through :func:`convert_state_dict`; returns the number of tensors.

    Raises:
        CheckpointError: ``src`` is missing, unsafe or holds no weights of a
            layout of :mod:`.layouts`; the message names it.
    """
    try:
        state_dict = convert_state_dict(load_state_dict(src))
    except CheckpointError as error:
        if src in str(error):
            raise
        raise CheckpointError(f'{src}: {error}') from None
    # Atomic: each process of a distributed test writes the same file.
    with io.BytesIO() as buffer:
        torch.save(dict(state_dict=state_dict, meta=dict(converted_from=src)),
                   buffer)
        AtomicLocalBackend().put(buffer.getvalue(), dst)
    return len(state_dict)
