"""tools/slurm_train.sh and tools/slurm_test.sh, run against a stand-in
``srun`` first on PATH: it records the options and the command it is given,
then runs the command with ``--dry-run``, so the tool checks its arguments
on the demo config as every Slurm task would."""
import json
import os
import os.path as osp
import shutil
import sys

import pytest
import torch

from tool_runs import (ROOT, TOOLS, assert_clean_error, assert_ok,
                       make_demo_data, run, run_command)

CONFIG = osp.join(ROOT, 'configs/demo/retinanet_poolformer_s12_demo.py')
STAND_IN_SRUN = f"""#!{sys.executable}
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ['SRUN_RECORD'], 'w') as f:
    json.dump(dict(args=args, cwd=os.getcwd(),
                   pythonpath=os.environ['PYTHONPATH']), f)
command = args[args.index(os.environ['PYTHON']):]
sys.exit(subprocess.call([*command, '--dry-run']))
"""
# The variables the scripts read, unset (empty counts as unset).
DEFAULTS = dict(GPUS='', GPUS_PER_NODE='', CPUS_PER_TASK='', SRUN_ARGS='')


@pytest.fixture(scope='module')
def workspace(module_tmp_path):
    """The demo data (where the demo config looks for it when run here), an
    empty checkpoint and a folder holding the stand-in srun."""
    root = make_demo_data(module_tmp_path, num_train=1,
                          num_val=1)
    torch.save({'state_dict': {}}, root / 'model.pth')
    (root / 'bin').mkdir()
    srun = root / 'bin' / 'srun'
    srun.write_text(STAND_IN_SRUN)
    srun.chmod(0o755)
    return root


def submit(script, *args, workspace, **env):
    """Runs ``tools/<script>`` in ``workspace`` (not the repository) with the
    stand-in srun; returns the result and what srun recorded (None if it
    was not called)."""
    record = workspace / 'srun.json'
    if record.exists():
        record.unlink()
    result = run(
        script,
        *args,
        cwd=workspace,
        SRUN_RECORD=record,
        PATH=os.pathsep.join([str(workspace / 'bin'), os.environ['PATH']]),
        **env)
    return result, json.loads(record.read_text()) if record.exists() else None


def test_slurm_train_runs_train_py_in_every_task(workspace):
    work_dir = workspace / 'work dir'
    result, srun = submit(
        'slurm_train.sh',
        'gpu-part',
        'poolformer',
        CONFIG,
        work_dir,
        '--cfg-options',
        'train_cfg.max_iters=2',
        '--amp',
        workspace=workspace,
        GPUS=16,
        GPUS_PER_NODE=8,
        CPUS_PER_TASK=3,
        SRUN_ARGS='--quotatype=auto --time=10',
        # The script puts the repository first on the path.
        PYTHONPATH='')
    assert_ok(result)
    assert srun['args'] == [
        '-p', 'gpu-part', '--job-name=poolformer', '--gres=gpu:8',
        '--ntasks=16', '--ntasks-per-node=8', '--cpus-per-task=3',
        '--kill-on-bad-exit=1', '--quotatype=auto', '--time=10',
        sys.executable, '-u',
        osp.join(TOOLS, 'train.py'), CONFIG, f'--work-dir={work_dir}',
        '--launcher=slurm', '--cfg-options', 'train_cfg.max_iters=2', '--amp'
    ]
    assert srun['cwd'] == str(workspace)
    assert srun['pythonpath'].split(os.pathsep)[0] == ROOT
    assert f'{CONFIG}: ready to train' in result.stdout
    assert not work_dir.exists()


def test_slurm_test_defaults_to_eight_gpus_a_node(workspace):
    result, srun = submit(
        'slurm_test.sh',
        'part',
        'eval',
        CONFIG,
        'model.pth',
        '--tta',
        workspace=workspace,
        **DEFAULTS)
    assert_ok(result)
    assert srun['args'] == [
        '-p', 'part', '--job-name=eval', '--gres=gpu:8', '--ntasks=8',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        sys.executable, '-u',
        osp.join(TOOLS, 'test.py'), CONFIG, 'model.pth', '--launcher=slurm',
        '--tta'
    ]
    assert f'{CONFIG}: ready to test model.pth' in result.stdout


@pytest.mark.parametrize('script, missing',
                         [('slurm_train.sh', 'WORK_DIR'),
                          ('slurm_test.sh', 'CHECKPOINT')])
def test_too_few_arguments(workspace, script, missing):
    result, srun = submit(script, 'part', 'job', CONFIG, workspace=workspace)
    assert result.returncode == 2
    assert result.stderr.startswith(f'usage: {osp.join(TOOLS, script)} ')
    assert_clean_error(result, missing, 'got 3 argument(s)')
    assert srun is None


@pytest.mark.parametrize('name, value', [('GPUS', 'two'), ('GPUS', 0),
                                         ('GPUS_PER_NODE', -8),
                                         ('CPUS_PER_TASK', '5 6')])
def test_bad_counts(workspace, name, value):
    result, srun = submit('slurm_train.sh', 'part', 'job', CONFIG, 'out',
                          workspace=workspace, **dict(DEFAULTS, **{
                              name: value}))
    assert_clean_error(result, f"{name} must be a positive whole number, "
                       f"got '{value}'")
    assert srun is None


def test_no_srun(tmp_path):
    # Only what the scripts run besides srun: no srun on PATH.
    (tmp_path / 'bin').mkdir()
    for command in ('bash', 'dirname'):
        (tmp_path / 'bin' / command).symlink_to(shutil.which(command))
    result = run_command(
        [shutil.which('bash'),
         osp.join(TOOLS, 'slurm_test.sh'), 'part', 'job', CONFIG, 'x.pth'],
        PATH=tmp_path / 'bin')
    assert_clean_error(result, 'srun not found')
