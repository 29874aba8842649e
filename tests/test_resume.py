"""Resuming: ``tools/train.py --resume`` continues exactly where training
stopped, and a corrupt last checkpoint is named rather than half-loaded.

The demo RetinaNet trains four iterations straight; a second run takes that
run's iteration-2 checkpoint as its last one, resumes and trains the other
two. Drop path is on, so the backbone draws random numbers at every step.
"""
import shutil

import pytest
import torch

from mmpoolformer.checkpoint import load_checkpoint_file
from mmpoolformer.engine.iteration_seed_hook import iteration_seed
from tool_runs import (ROOT, assert_clean_error, assert_ok, make_demo_data,
                       run, run_in_process)

CONFIG = f'{ROOT}/configs/demo/retinanet_poolformer_s12_demo.py'
OPTIONS = [
    'train_cfg.max_iters=4',
    'train_dataloader.batch_size=2',
    'model.backbone.drop_path_rate=0.3',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=-1',
    # No validation: the comparison is about training.
    'train_cfg.val_begin=100',
]


@pytest.fixture(scope='module')
def run_dir(module_tmp_path):
    return make_demo_data(module_tmp_path)


def train(run_dir, work_dir, *args):
    result = run(
        'train.py',
        CONFIG,
        '--work-dir',
        work_dir,
        *args,
        '--cfg-options',
        *OPTIONS,
        cwd=run_dir)
    assert_ok(result)
    return result


@pytest.fixture(scope='module')
def straight(run_dir):
    work_dir = run_dir / 'straight'
    train(run_dir, work_dir)
    return work_dir


def interrupted_at(straight, work_dir, iteration):
    """A work dir as a run stopped after ``iteration`` leaves it."""
    work_dir.mkdir()
    checkpoint = work_dir / f'iter_{iteration}.pth'
    shutil.copy(straight / f'iter_{iteration}.pth', checkpoint)
    (work_dir / 'last_checkpoint').write_text(str(checkpoint))
    return checkpoint


def test_resumed_run_ends_with_the_same_weights(straight, run_dir):
    work_dir = run_dir / 'resumed'
    interrupted_at(straight, work_dir, 2)
    result = train(run_dir, work_dir, '--resume')
    assert 'resumed epoch: 0, iter: 2' in result.stdout + result.stderr

    expected = load_checkpoint_file(str(straight / 'iter_4.pth'))
    actual = load_checkpoint_file(str(work_dir / 'iter_4.pth'))
    assert actual['meta']['iter'] == expected['meta']['iter'] == 4
    assert expected['state_dict'].keys() == actual['state_dict'].keys()
    for key, value in expected['state_dict'].items():
        assert torch.equal(actual['state_dict'][key], value), key
    # The weights moved between the two checkpoints the resumed run
    # started and ended with.
    start = load_checkpoint_file(str(straight / 'iter_2.pth'))['state_dict']
    assert any(not torch.equal(start[key], value)
               for key, value in expected['state_dict'].items())
    exp_states = expected['optimizer']['state']
    act_states = actual['optimizer']['state']
    assert exp_states.keys() == act_states.keys()
    for index, state in exp_states.items():
        for name, value in state.items():
            assert torch.equal(torch.as_tensor(act_states[index][name]),
                               torch.as_tensor(value)), (index, name)


def test_corrupt_last_checkpoint_is_named(straight, run_dir):
    work_dir = run_dir / 'corrupt'
    checkpoint = interrupted_at(straight, work_dir, 2)
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[:len(data) // 2])
    assert_clean_error(
        run_in_process('train.py', CONFIG, '--work-dir', work_dir,
                       '--resume', cwd=run_dir), str(checkpoint))


def test_iteration_seeds_differ_by_iteration_and_rank():
    seeds = {
        iteration_seed(0, rank, iteration)
        for rank in range(4) for iteration in range(100)
    }
    assert len(seeds) == 400
    assert iteration_seed(7, 1, 5) == iteration_seed(7, 1, 5)
    assert iteration_seed(7, 1, 5) != iteration_seed(8, 1, 5)
