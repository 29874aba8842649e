"""Checkpoint files converted to our configs' names
(``tools/convert_checkpoint.py``)."""
import io

import torch

from .atomic_save import AtomicLocalBackend
from .convert import convert_state_dict
from .errors import CheckpointError
from .safe_load import load_state_dict


def convert_checkpoint_file(src: str, dst: str) -> int:
    """Saves ``src`` (path or URL, read safely) to ``dst`` through
    :func:`convert_state_dict` and returns the number of tensors; a
    CheckpointError naming ``src`` where it cannot."""
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
