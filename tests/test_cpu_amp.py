"""``tools/train.py --amp`` on a machine without CUDA: bf16 autocast."""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from mmpoolformer import CPUAutocastOptimWrapper
from tool_runs import make_demo_data

ROOT = Path(__file__).resolve().parents[1]


def test_wrapper_runs_the_forward_in_bf16_and_steps():
    model = torch.nn.Linear(4, 2)
    wrapper = build_optim_wrapper(
        model,
        dict(type='mmpoolformer.CPUAutocastOptimWrapper',
             optimizer=dict(type='SGD', lr=0.1)))
    assert isinstance(wrapper, CPUAutocastOptimWrapper)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().square().mean())
    assert not torch.equal(before, model.weight)


# Mask R-CNN needs mmcv's RoIAlign, which has no bfloat16 CPU kernel.
@pytest.mark.parametrize(
    'config', ['fpn_poolformer_s12_demo.py', 'mask_rcnn_poolformer_s12_demo.py'])
def test_amp_training_of_a_demo_stays_finite(config, tmp_path):
    make_demo_data(tmp_path, num_train=4, num_val=2, img_size=64)
    proc = subprocess.run([
        sys.executable,
        str(ROOT / 'tools' / 'train.py'),
        str(ROOT / 'configs' / 'demo' / config),
        '--amp', '--work-dir', 'wd', '--cfg-options',
        'train_cfg.max_iters=3', 'train_dataloader.batch_size=2',
        'default_hooks.logger.interval=1'
    ], cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    losses = [float(v) for v in re.findall(r'Iter\(train\).* loss: ([\w.+-]+)',
                                           log)]
    assert len(losses) == 3
    assert all(math.isfinite(v) for v in losses)
    assert 'CPUAutocastOptimWrapper' in log
