"""Two CPU processes (torchrun + gloo): testing on two processes gives the
metric of one process, and a process that dies ends the whole run with a
message instead of leaving the others waiting."""
import re
import time

import pytest
import torch

from tool_runs import ROOT, assert_ok, free_port, make_demo_data, run

RETINANET = f'{ROOT}/configs/demo/retinanet_poolformer_s12_demo.py'
SHORT = [
    'train_cfg.max_iters=2', 'train_dataloader.batch_size=2',
    'train_cfg.val_begin=100'
]
# After two iterations nothing scores above the usual threshold.
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

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='checks the gloo processes of machines without CUDA')


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(run dir, checkpoint) of a two-iteration demo RetinaNet."""
    run_dir = make_demo_data(tmp_path_factory.mktemp('distributed'))
    work_dir = run_dir / 'work_dir'
    assert_ok(
        run('train.py', RETINANET, '--work-dir', work_dir, '--cfg-options',
            *SHORT, cwd=run_dir))
    return run_dir, work_dir / 'iter_2.pth'


def coco_metrics(output):
    """The ``coco/...`` values of the metric line tools/test.py prints."""
    line = next(line for line in output.splitlines()
                if 'Iter(test)' in line and 'coco/bbox_mAP:' in line)
    return dict(re.findall(r'(coco/\w+): (-?[\d.]+)', line))


def test_two_processes_give_the_metric_of_one(trained):
    run_dir, checkpoint = trained
    one = run(
        'test.py',
        RETINANET,
        checkpoint,
        '--work-dir',
        run_dir / 'one',
        '--cfg-options',
        KEEP_ALL_DETECTIONS,
        cwd=run_dir)
    assert_ok(one)
    two = run(
        'dist_test.sh',
        RETINANET,
        checkpoint,
        2,
        '--work-dir',
        run_dir / 'two',
        '--cfg-options',
        KEEP_ALL_DETECTIONS,
        cwd=run_dir,
        PORT=free_port())
    assert_ok(two)
    assert 'Distributed training: True' in two.stdout
    metrics = coco_metrics(one.stdout)
    assert len(metrics) == 6
    assert coco_metrics(two.stdout) == metrics


def test_a_dying_process_ends_the_run(trained, tmp_path):
    run_dir, _ = trained
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
        PYTHONPATH=f'{ROOT}:{tmp_path}')
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
