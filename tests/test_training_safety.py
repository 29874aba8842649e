"""Checkpoints are written atomically and a bad one is named on resume."""
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner import save_checkpoint

from mmpoolformer.checkpoint import AtomicLocalBackend


def test_mmengine_local_writes_use_the_atomic_backend(tmp_path):
    assert isinstance(get_file_backend(str(tmp_path / 'x.pth')),
                      AtomicLocalBackend)


def test_crash_before_rename_keeps_the_previous_checkpoint(tmp_path,
                                                           monkeypatch):
    path = tmp_path / 'latest.pth'
    save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, str(path))

    def crash(*args):
        raise KeyboardInterrupt('killed while saving')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'state_dict': {'w': torch.ones(1000)}}, str(path))
    monkeypatch.undo()
    kept = torch.load(path, weights_only=True)
    assert torch.equal(kept['state_dict']['w'], torch.zeros(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['latest.pth']


def test_new_checkpoint_replaces_the_old_completely(tmp_path):
    path = tmp_path / 'sub' / 'latest.pth'
    save_checkpoint({'state_dict': {'w': torch.zeros(100000)}}, str(path))
    save_checkpoint({'state_dict': {'w': torch.ones(2)}}, str(path))
    assert torch.equal(
        torch.load(path, weights_only=True)['state_dict']['w'], torch.ones(2))
