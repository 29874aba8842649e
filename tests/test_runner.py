"""mmpoolformer.Runner in a user's own script, not our tools: a config with
``runner_type='mmpoolformer.Runner'`` built by mmengine's ``RUNNERS.build``
names a missing dataset folder before any dataset is built, and on a machine
without CUDA a torchrun launch runs as CPU processes over gloo."""
import sys

import pytest
import torch
from mmengine.config import Config

from mmpoolformer.engine import set_up_cpu_launch
from tool_runs import ROOT, free_port, run_command

FPN = f'{ROOT}/configs/fpn_poolformer_s12_ade20k_40k.py'
# The shipped Semantic FPN (its head has SyncBN) with our runner and a
# collective timeout of its own.
USER_CONFIG = f"""
_base_ = '{FPN}'
runner_type = 'mmpoolformer.Runner'
env_cfg = dict(dist_cfg=dict(timeout=77))
"""
# Builds the runner as mmengine's examples do and runs one stage of it.
RUN_STAGE = """
import sys

from mmengine.config import Config
from mmengine.registry import RUNNERS

config, work_dir, stage = sys.argv[1:]
cfg = Config.fromfile(config)
cfg.work_dir = work_dir
getattr(RUNNERS.build(cfg), stage)()
"""
# Builds the runner for a torchrun launch and prints how it is distributed.
DESCRIBE_LAUNCH = """
import sys

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.registry import RUNNERS

config, work_dir = sys.argv[1:]
cfg = Config.fromfile(config)
cfg.work_dir, cfg.launcher = work_dir, 'pytorch'
runner = RUNNERS.build(cfg)
gloo = dist.group.WORLD._get_backend(torch.device('cpu'))
print('backend:', dist.get_backend())
print('timeout:', gloo.options._timeout.total_seconds())
print('world size:', runner.world_size)
print('wrapper:', type(runner.model).__name__, runner.model.device_ids)
print('SyncBN:', any(isinstance(module, torch.nn.SyncBatchNorm)
                     for module in runner.model.modules()))
"""


@pytest.fixture
def user_files(tmp_path):
    """(config, run-stage script, describe-launch script) of a user, in a
    folder without the config's data."""
    config = tmp_path / 'user_fpn.py'
    config.write_text(USER_CONFIG)
    run_stage = tmp_path / 'run_stage.py'
    run_stage.write_text(RUN_STAGE)
    describe_launch = tmp_path / 'describe_launch.py'
    describe_launch.write_text(DESCRIBE_LAUNCH)
    return config, run_stage, describe_launch


@pytest.mark.parametrize('stage', ['train', 'test'])
def test_a_missing_dataset_folder_is_named(user_files, tmp_path, stage):
    config, run_stage, _ = user_files
    result = run_command(
        [sys.executable, run_stage, config, tmp_path / 'work_dir', stage],
        cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        'mmpoolformer.datasets.errors.MissingDataError: dataset folder not '
        'found: data/ade/ADEChallengeData2016 '
        f'({stage}_dataloader.dataset.data_root); see '
        'docs/detection_segmentation.md to prepare it'), result.stderr[-3000:]


def test_a_torchrun_launch_without_cuda_runs_over_gloo(user_files, tmp_path):
    """Also on a CUDA machine: with no visible GPU the same CPU path runs."""
    config, _, describe_launch = user_files
    result = run_command([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=1',
        f'--master_port={free_port()}', describe_launch, config,
        tmp_path / 'work_dir'
    ], cwd=tmp_path, timeout=300, CUDA_VISIBLE_DEVICES='')
    assert result.returncode == 0, result.stderr[-3000:]
    for line in ('backend: gloo', 'timeout: 77.0', 'world size: 1',
                 'wrapper: MMDistributedDataParallel None', 'SyncBN: False'):
        assert line in result.stdout.splitlines(), result.stdout[-3000:]


@pytest.mark.parametrize('launcher, cuda', [('none', False),
                                            ('pytorch', True)])
def test_other_launches_keep_their_config(monkeypatch, launcher, cuda):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    cfg = Config.fromfile(FPN)
    cfg.launcher = launcher
    before = cfg.to_dict()
    set_up_cpu_launch(cfg)
    assert cfg.to_dict() == before
    assert not torch.distributed.is_initialized()
