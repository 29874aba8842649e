"""Denormal floats flushed to zero on every thread PyTorch computes on
(``mmpoolformer.engine.denormals.flush_denormals``), as tools/train.py
asks, where ``torch.set_flush_denormal`` reaches the calling thread only."""
import pytest
import torch

import mmpoolformer.apis
from mmpoolformer.engine.denormals import flush_denormals
from tool_runs import run_in_process


@pytest.fixture
def two_threads():
    """Two intra-op threads (the suite's workers run one each), no flushing
    before (whatever an earlier test left) and none afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    flush_denormals(False)
    yield
    flush_denormals(False)
    torch.set_num_threads(before)


def denormal_share() -> float:
    """The share of a product's elements that stay denormal: a million
    float32 denormals times one, an op that every thread takes a part of.
    Made and read as bits: a flushing thread would turn a float denormal
    into zero when it converts it, and read one as zero when it compares."""
    denormals = torch.full((1 << 20, ), 1 << 20,
                           dtype=torch.int32).view(torch.float32)
    return (denormals * 1.0).view(torch.int32).ne(0).float().mean().item()


def test_every_thread_flushes_and_stops(two_threads):
    assert denormal_share() == 1
    torch.set_flush_denormal(True)
    # PyTorch's own switch leaves the other thread's part denormal.
    assert 0 < denormal_share() < 1
    assert flush_denormals() == 2
    assert denormal_share() == 0
    assert flush_denormals(False) == 2
    assert denormal_share() == 1


def test_the_train_tool_flushes_every_thread_and_the_run_puts_it_back(
        two_threads, monkeypatch):
    shares = []

    def prepare_training(*args):
        shares.append(denormal_share())
        raise SystemExit(0)

    monkeypatch.setattr(mmpoolformer.apis, 'prepare_training',
                        prepare_training)
    result = run_in_process('train.py',
                            'configs/demo/retinanet_poolformer_s12_demo.py')
    assert result.returncode == 0, result.stderr
    assert shares == [0]
    assert denormal_share() == 1
