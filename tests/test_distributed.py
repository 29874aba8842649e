"""Two CPU processes (torchrun + gloo): testing on two processes gives the
metric of one process, and a process that dies or hangs ends the whole run
with a message instead of leaving the others waiting.

Every run here hides CUDA (``CUDA_VISIBLE_DEVICES=''``), so that a machine
with GPUs checks the gloo processes of machines without them too.
"""
import os.path as osp
import time

import pytest

from tool_runs import (ROOT, assert_ok, final_metrics, free_port,
                       make_demo_data, run, run_stopping_at)

RETINANET = f'{ROOT}/configs/demo/retinanet_poolformer_s12_demo.py'
# After two iterations nothing scores above the usual threshold (the
# session's demo training keeps every detection too).
KEEP_ALL_DETECTIONS = 'model.test_cfg.score_thr=0'
# A custom hook that kills the second process after its first iteration.
DYING_RANK = '''
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillSecondProcess(Hook):

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)
'''
DYING_CONFIG = f'''
_base_ = '{RETINANET}'
custom_imports = dict(imports=['dying_rank'], allow_failed_imports=False)
custom_hooks = [dict(type='KillSecondProcess')]
'''
# A custom hook with which the second process stops answering after its
# first iteration, having written the time to ``mark``: it never reaches
# the collectives of DDP's second iteration, where the first process waits.
HANGING_RANK = '''
import time

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class HangSecondProcess(Hook):

    def __init__(self, mark):
        self.mark = mark

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.rank == 1:
            with open(self.mark, 'w') as f:
                f.write(repr(time.time()))
            time.sleep(3600)
'''
# Seconds a collective waits for a silent process in the hanging run.
TIMEOUT = 10
HANGING_CONFIG = '''
_base_ = '{base}'
custom_imports = dict(imports=['hanging_rank'], allow_failed_imports=False)
custom_hooks = [dict(type='HangSecondProcess', mark='{mark}')]
env_cfg = dict(dist_cfg=dict(timeout={timeout}))
'''
# The processes run as on a machine without CUDA, also where there is one.
CPU_ONLY = dict(CUDA_VISIBLE_DEVICES='')


@pytest.fixture(scope='module')
def trained(demo_trainings):
    """(run dir, checkpoint, training output) of the session's
    two-iteration demo RetinaNet."""
    run_dir, runs = demo_trainings
    return (run_dir, *runs[osp.basename(RETINANET)])


def test_two_processes_give_the_metric_of_one(trained, tmp_path):
    """The metrics of one process are those the training's final
    validation printed, on the same images and with every detection kept
    (test_demo_round_trip: tools/test.py prints them too), the model as
    built, as training validated it."""
    run_dir, checkpoint, training = trained
    two = run(
        'dist_test.sh',
        RETINANET,
        checkpoint,
        2,
        '--no-fuse',
        '--work-dir',
        tmp_path / 'two',
        '--cfg-options',
        KEEP_ALL_DETECTIONS,
        cwd=run_dir,
        PORT=free_port(),
        **CPU_ONLY)
    assert_ok(two)
    assert 'Distributed training: True' in two.stdout
    one = final_metrics(training, 'val')
    assert len([key for key in one if key.startswith('coco/')]) == 6
    assert final_metrics(two.stdout, 'test') == one


def test_a_dying_process_ends_the_run(trained, tmp_path):
    run_dir = trained[0]
    (tmp_path / 'dying_rank.py').write_text(DYING_RANK)
    config = tmp_path / 'dying.py'
    config.write_text(DYING_CONFIG)
    start = time.monotonic()
    result = run(
        'dist_train.sh',
        config,
        2,
        '--work-dir',
        tmp_path / 'work_dir',
        '--cfg-options',
        'train_cfg.max_iters=20',
        'train_dataloader.batch_size=2',
        cwd=run_dir,
        timeout=300,
        PORT=free_port(),
        PYTHONPATH=f'{ROOT}:{tmp_path}',
        **CPU_ONLY)
    elapsed = time.monotonic() - start
    assert result.returncode != 0
    assert elapsed < 240, f'took {elapsed:.0f} s to stop'
    errors = [
        line for line in result.stderr.splitlines()
        if line.startswith('error:')
    ]
    assert len(errors) == 1, result.stderr[-3000:]
    assert 'rank 1' in errors[0] and 'SIGKILL' in errors[0], errors[0]
    assert not (tmp_path / 'work_dir' / 'iter_20.pth').exists()


def test_a_hanging_process_is_given_up_after_the_timeout(tmp_path):
    run_dir = make_demo_data(tmp_path, num_train=4, num_val=2, img_size=64)
    (tmp_path / 'hanging_rank.py').write_text(HANGING_RANK)
    mark = tmp_path / 'hang_started'
    config = tmp_path / 'hanging.py'
    config.write_text(
        HANGING_CONFIG.format(base=RETINANET, mark=mark, timeout=TIMEOUT))
    # Without the timeout the first process would wait for 30 minutes.
    result = run_stopping_at(
        300,
        'dist_train.sh',
        config,
        2,
        '--work-dir',
        tmp_path / 'work_dir',
        '--cfg-options',
        'train_cfg.max_iters=3',
        'train_dataloader.batch_size=2',
        cwd=run_dir,
        PORT=free_port(),
        PYTHONPATH=f'{ROOT}:{tmp_path}',
        **CPU_ONLY)
    ended = time.time()
    assert result.returncode != 0
    assert mark.is_file(), result.stderr[-3000:]
    waited = ended - float(mark.read_text())
    assert waited < TIMEOUT + 60, f'took {waited:.0f} s to give up'
    # gloo's message, with the configured timeout, from the waiting process.
    assert f'Timed out waiting {TIMEOUT * 1000}ms' in result.stderr, \
        result.stderr[-3000:]
    errors = [
        line for line in result.stderr.splitlines()
        if line.startswith('error:')
    ]
    assert len(errors) == 1, result.stderr[-3000:]
    assert 'rank 0' in errors[0] and 'exited with status 1' in errors[0], \
        errors[0]
