"""A crafted checkpoint runs nothing through any load path the README names:
``Pretrained`` init, ``load_from`` (mmengine's loader), ``--resume``,
``tools/test.py`` and the converter. Each payload would create a marker file
if it ran: ``eval``, ``os.system`` and ``getattr`` beyond the one stand-in
that HistoryBuffer needs."""
import os
import os.path as osp
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import load_checkpoint

from mmpoolformer import PoolFormer
from mmpoolformer.checkpoint import CheckpointError
from tool_runs import ROOT, assert_clean_error, run_in_process

CONFIG = osp.join(ROOT, 'configs', 'demo', 'retinanet_poolformer_s12_demo.py')


class Eval:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f'open({self.marker!r}, "w")', ))


class System:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class GetattrEscape:
    """``getattr(HistoryBuffer, '__init__')``, the first step out of the
    allow-list: the stand-in for ``builtins.getattr`` resolves
    HistoryBuffer's four statistics methods only."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


PAYLOADS = {'eval': Eval, 'os.system': System, 'getattr': GetattrEscape}


@pytest.fixture(params=sorted(PAYLOADS))
def crafted(request, tmp_path):
    """(checkpoint path, marker path) for one payload, saved in a whole-model
    checkpoint with real PoolFormer weights beside it."""
    marker = tmp_path / 'ran'
    state = {
        f'backbone.{k}': v
        for k, v in PoolFormer('s12', out_indices=(0, )).state_dict().items()
    }
    path = tmp_path / f'crafted_{request.param}.pth'
    torch.save({
        'state_dict': state,
        'meta': PAYLOADS[request.param](str(marker))
    }, path)
    return path, marker


def test_pretrained_init_refuses_it(crafted):
    path, marker = crafted
    model = PoolFormer(
        's12',
        out_indices=(0, ),
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointError, match=f'refused to load {path}'):
        model.init_weights()
    assert not marker.exists()


def test_mmengine_loader_behind_load_from_refuses_it(crafted):
    path, marker = crafted
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(PoolFormer('s12'), str(path))
    assert not marker.exists()


@pytest.mark.parametrize('tool', ['train.py --resume', 'test.py',
                                  'convert_checkpoint.py'])
def test_the_tools_refuse_it_with_one_line(tool, crafted, tmp_path):
    path, marker = crafted
    script = tool.split()[0]
    if script == 'train.py':
        args = (CONFIG, '--resume', path, '--work-dir', tmp_path / 'work')
    elif script == 'test.py':
        args = (CONFIG, path, '--work-dir', tmp_path / 'work')
    else:
        args = (path, tmp_path / 'converted.pth')
    result = run_in_process(script, *args, cwd=tmp_path)
    assert_clean_error(result, 'refused to load', path.name)
    assert not marker.exists()
    assert not (tmp_path / 'converted.pth').exists()


def test_random_bytes_are_refused_as_unreadable(tmp_path):
    """Files of random bytes make the unpickler fail in many ways (an
    IndexError or a KeyError among them); each is one CheckpointError that
    names the file."""
    from mmpoolformer.checkpoint import load_checkpoint_file
    generator = torch.Generator().manual_seed(0)
    kinds = set()
    for i in range(200):
        path = tmp_path / f'random{i}.pth'
        data = torch.randint(0, 256, (256, ), generator=generator,
                             dtype=torch.uint8)
        path.write_bytes(bytes(data.tolist()))
        with pytest.raises(CheckpointError, match=f'random{i}.pth') as info:
            load_checkpoint_file(str(path))
        kinds.add(str(info.value).split('(')[-1].split(':')[0])
    # The bytes tried more than one way of failing.
    assert len(kinds) > 1, kinds


@pytest.mark.parametrize('content', [
    [torch.zeros(2)],
    {'weight': torch.zeros(2), 'step': 3},
    {'state_dict': {'weight': torch.zeros(2), 'note': 'epoch 3'}},
], ids=['a list', 'a number among the tensors', 'a str in state_dict'])
def test_a_file_without_a_state_dict_is_refused_naming_it(tmp_path, content):
    """Safe to unpickle, but no mapping of names to tensors."""
    from mmpoolformer.checkpoint import load_state_dict
    path = tmp_path / 'not_weights.pth'
    torch.save(content, path)
    with pytest.raises(CheckpointError,
                       match='not_weights.pth holds no state dict'):
        load_state_dict(str(path))
