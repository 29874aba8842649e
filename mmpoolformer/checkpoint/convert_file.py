"""Whole checkpoints in another code base's layout, converted to the names
our configs' models have, as files: for ``tools/convert_checkpoint.py`` and
for ``tools/test.py``, which converts such a checkpoint before it loads it."""
import io
import os.path as osp

import torch
from mmengine.logging import print_log

from .atomic_save import AtomicLocalBackend
from .convert import convert_state_dict, foreign_layout
from .errors import CheckpointError
from .safe_load import load_state_dict


def convert_checkpoint_file(src: str, dst: str) -> int:
    """Converts the checkpoint ``src`` (path or URL, read safely) with
    :func:`convert_state_dict` and saves it to ``dst``.

    Returns:
        int: The number of tensors saved.

    Raises:
        CheckpointError: ``src`` is missing, unsafe or holds no PoolFormer
            weights; the message names it.
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


def loadable_checkpoint(src: str, work_dir: str) -> str:
    """``src`` where our models load it by name, else a converted copy in
    ``work_dir`` (its path is returned and logged).

    Raises:
        CheckpointError: ``src`` is missing, unsafe or unreadable.
    """
    layout = foreign_layout(load_state_dict(src))
    if layout is None:
        return src
    name = osp.basename(src.split('?')[0])
    for suffix in ('.tar', '.pth', '.pt'):
        name = name[:-len(suffix)] if name.endswith(suffix) else name
    dst = osp.join(work_dir, f'{name}_converted.pth')
    count = convert_checkpoint_file(src, dst)
    print_log(
        f'{src} has weights in the {layout} layout: converted '
        f'{count} tensors to the model\'s names in {dst}',
        logger='current')
    return dst
