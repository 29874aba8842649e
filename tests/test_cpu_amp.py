"""``tools/train.py --amp`` on a machine without CUDA: bf16 autocast; and
the fp16 mode of the same wrapper, with loss scaling."""
import math
import re
from pathlib import Path

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from mmpoolformer import CPUAutocastOptimWrapper, PoolFormer
from mmpoolformer.apis.training import cpu_has_bf16_instructions
from tool_runs import assert_ok, make_demo_data, run_in_process

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


def fp16_wrapper(model, **kwargs):
    return build_optim_wrapper(
        model,
        dict(type='mmpoolformer.CPUAutocastOptimWrapper', dtype='float16',
             optimizer=dict(type='SGD', lr=0.1), **kwargs))


def test_fp16_scales_the_loss_and_steps_with_unscaled_gradients():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    x = torch.randn(3, 4)
    expected_grad = torch.autograd.grad(
        model(x).square().mean(), model.weight)[0]
    wrapper = fp16_wrapper(model)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.float16
    wrapper.update_params(out.float().square().mean())
    assert wrapper.loss_scaler.get_scale() == 2.**16
    # Stepped by lr times the true gradient, not the 65536-times scaled one.
    torch.testing.assert_close(before - model.weight.detach(),
                               0.1 * expected_grad, atol=1e-3, rtol=1e-2)


def test_fp16_skips_a_step_with_overflowing_gradients_and_resumes_its_scale():
    model = torch.nn.Linear(4, 2)
    wrapper = fp16_wrapper(model, clip_grad=dict(max_norm=1.))
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.full((3, 4), 1e4))
    # Scaled by 65536, the gradient of this loss overflows float32 too.
    wrapper.update_params(out.float().square().sum() * 1e30)
    assert torch.equal(before, model.weight)
    assert wrapper.loss_scaler.get_scale() == 2.**15

    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == 2.**15
    restored = fp16_wrapper(torch.nn.Linear(4, 2))
    restored.load_state_dict(state)
    assert restored.loss_scaler.get_scale() == 2.**15


def test_unsupported_dtype_is_refused():
    with pytest.raises(ValueError, match="'bfloat16' or 'float16'"):
        CPUAutocastOptimWrapper(
            dtype='float64',
            optimizer=torch.optim.SGD(torch.nn.Linear(1, 1).parameters(),
                                      lr=0.1))


# RetinaNet is the demo `make demo` trains; Mask R-CNN needs mmcv's
# RoIAlign, which has no bfloat16 CPU kernel.
@pytest.mark.parametrize('config', [
    'retinanet_poolformer_s12_demo.py', 'fpn_poolformer_s12_demo.py',
    'mask_rcnn_poolformer_s12_demo.py'
])
def test_amp_training_of_a_demo_stays_finite(config, tmp_path, monkeypatch):
    """Two iterations of one image each, their backbone forwards under bf16
    autocast (the run is in this process, where the backbone's forward is
    watched), the second after a step. One image an iteration: bf16 runs
    over ten times slower than fp32 on CPUs without bf16 instructions,
    where the tool says so."""
    make_demo_data(tmp_path, num_train=4, num_val=2, img_size=64)
    casts = []
    forward = PoolFormer.forward

    def watched_forward(self, x):
        if self.training:
            casts.append(torch.get_autocast_dtype('cpu')
                         if torch.is_autocast_enabled('cpu') else None)
        return forward(self, x)

    monkeypatch.setattr(PoolFormer, 'forward', watched_forward)
    result = run_in_process(
        'train.py', ROOT / 'configs' / 'demo' / config, '--amp',
        '--work-dir', 'wd', '--cfg-options', 'train_cfg.max_iters=2',
        'train_dataloader.batch_size=1', 'default_hooks.logger.interval=1',
        cwd=tmp_path)
    assert_ok(result)
    log = result.stdout + result.stderr
    losses = [float(v) for v in re.findall(r'Iter\(train\).* loss: ([\w.+-]+)',
                                           log)]
    assert len(losses) == 2
    assert all(math.isfinite(v) for v in losses)
    assert 'CPUAutocastOptimWrapper' in log
    assert ('this CPU has no bf16 instructions' in log) != \
        cpu_has_bf16_instructions()
    assert casts == [torch.bfloat16] * 2
