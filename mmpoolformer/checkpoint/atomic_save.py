"""Atomic local writes, so that a killed process leaves no truncated
checkpoint: a temporary file in the same folder, flushed and renamed over
the target. Registered as :data:`ATOMIC_BACKEND` beside mmengine's
``local``; our Runner selects it for checkpoints, a ``CheckpointHook`` can
with ``backend_args=dict(backend='mmpoolformer_atomic_local')``."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend

# The name a ``backend_args=dict(backend=...)`` selects it by.
ATOMIC_BACKEND = 'mmpoolformer_atomic_local'


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        folder = osp.dirname(osp.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(
            prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=folder)
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_path, filepath)
        except BaseException:
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            raise

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


register_backend(ATOMIC_BACKEND, AtomicLocalBackend)
