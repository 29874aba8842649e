"""Checkpoints that mmpoolformer.Runner writes are written atomically, through
a backend of our own that nothing else in the process uses unless asked."""
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.runner import save_checkpoint

from mmpoolformer.checkpoint import ATOMIC_BACKEND, AtomicLocalBackend
from mmpoolformer.engine import Runner
from tiny_runner import tiny_runner

ATOMIC = dict(backend=ATOMIC_BACKEND)


def test_the_atomic_backend_is_chosen_not_imposed(tmp_path):
    path = str(tmp_path / 'x.pth')
    assert isinstance(get_file_backend(path, backend_args=ATOMIC),
                      AtomicLocalBackend)
    plain = get_file_backend(path)
    assert type(plain) is LocalBackend


def test_crash_before_rename_keeps_the_previous_checkpoint(tmp_path,
                                                           monkeypatch):
    path = tmp_path / 'latest.pth'
    save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, str(path),
                    backend_args=ATOMIC)

    def crash(*args):
        raise KeyboardInterrupt('killed while saving')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'state_dict': {'w': torch.ones(1000)}}, str(path),
                        backend_args=ATOMIC)
    monkeypatch.undo()
    kept = torch.load(path, weights_only=True)
    assert torch.equal(kept['state_dict']['w'], torch.zeros(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['latest.pth']


def test_new_checkpoint_replaces_the_old_completely(tmp_path):
    path = tmp_path / 'sub' / 'latest.pth'
    save_checkpoint({'state_dict': {'w': torch.zeros(100000)}}, str(path),
                    backend_args=ATOMIC)
    save_checkpoint({'state_dict': {'w': torch.ones(2)}}, str(path),
                    backend_args=ATOMIC)
    assert torch.equal(
        torch.load(path, weights_only=True)['state_dict']['w'], torch.ones(2))


def test_text_is_written_atomically_too(tmp_path, monkeypatch):
    """``put_text`` (mmengine's for logs and ``last_checkpoint``) goes
    through the same rename: a crash keeps the old text whole."""
    path = tmp_path / 'last_checkpoint'
    backend = AtomicLocalBackend()
    backend.put_text('epoch_1.pth', path)

    def crash(*args):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        backend.put_text('epoch_2.pth', path)
    monkeypatch.undo()
    assert path.read_text() == 'epoch_1.pth'
    assert [p.name for p in tmp_path.iterdir()] == ['last_checkpoint']
    backend.put_text('époque_2.pth', path, encoding='latin-1')
    assert path.read_bytes() == 'époque_2.pth'.encode('latin-1')


def test_our_runner_saves_atomically_and_a_crash_keeps_the_last(
        tmp_path, monkeypatch):
    """Killed while writing the second checkpoint: the first stays whole and
    ``last_checkpoint`` still names it."""
    runner = tiny_runner(tmp_path, Runner)
    replace = os.replace

    def crash_on_the_second(source, target):
        if target.endswith('iter_2.pth'):
            raise KeyboardInterrupt('killed while saving')
        replace(source, target)

    monkeypatch.setattr(os, 'replace', crash_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    monkeypatch.undo()
    assert (tmp_path / 'last_checkpoint').read_text().endswith('iter_1.pth')
    assert not (tmp_path / 'iter_2.pth').exists()
    assert not list(tmp_path.glob('.iter_2.pth.*'))
    first = torch.load(tmp_path / 'iter_1.pth', weights_only=True)
    assert first['meta']['iter'] == 1


def test_a_hook_with_backend_args_of_its_own_keeps_them(tmp_path):
    runner = tiny_runner(tmp_path, Runner, backend_args=dict(backend='local'))
    hook = next(h for h in runner.hooks if type(h).__name__ == 'CheckpointHook')
    assert hook.backend_args == dict(backend='local')
    mine = tiny_runner(tmp_path / 'ours', Runner)
    hook = next(h for h in mine.hooks if type(h).__name__ == 'CheckpointHook')
    assert hook.backend_args == ATOMIC
