"""tools/benchmark_backbone.py runs, agrees with the reference and reports;
its speed numbers are not checked here (docs/performance.md has them)."""
import json
import re
import sys

import pytest
import torch

from mmpoolformer.analysis.backbone_benchmark import build_implementations
from tool_runs import assert_clean_error, assert_ok, run, run_command

IMPLEMENTATIONS = {'mmpretrain', 'ours (plain)', 'ours (fast)', 'timm'}


def test_benchmark_compares_all_implementations(tmp_path):
    result = run('benchmark_backbone.py', '--archs', 's12', '--modes',
                 'infer 224 b8', '--repeats', 1, '--memory-size', 64,
                 '--out-dir', tmp_path)
    assert_ok(result)
    report = json.loads((tmp_path / 'benchmark.json').read_text())
    rows = report['rows']
    assert {row['impl'] for row in rows} == IMPLEMENTATIONS
    for row in rows:
        assert (row['arch'], row['mode']) == ('s12', 'infer 224 b8')
        assert row['max_abs_diff'] < 1e-4, row
        assert row['images_per_s'] > 0
    reference = next(row for row in rows if row['impl'] == 'mmpretrain')
    assert reference['speedup'] == 1
    assert reference['max_abs_diff'] == 0
    memory = report['memory']['s12']
    assert memory['false'] > 0 and memory['true'] > 0
    table = (tmp_path / 'benchmark.md').read_text()
    assert table.startswith('Machine: CPU, ')
    assert table.count('| s12 | infer 224 b8 |') == len(IMPLEMENTATIONS)
    assert (tmp_path / 'throughput.png').stat().st_size > 1000


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the error on machines without CUDA')
def test_cuda_device_without_cuda_is_one_error_line(tmp_path):
    result = run('benchmark_backbone.py', '--device', 'cuda', '--out-dir',
                 tmp_path)
    assert_clean_error(result, '--device cuda', 'no CUDA device')


def test_unknown_arch_is_a_usage_error_naming_the_archs(tmp_path):
    result = run('benchmark_backbone.py', '--archs', 's12', 'caformer_s17',
                 '--out-dir', tmp_path)
    assert result.returncode == 2
    assert_clean_error(result, "--archs: invalid choice: 'caformer_s17'",
                       "'m48'", "'poolformerv2_s12'", "'caformer_b36'")
    assert not list(tmp_path.iterdir())


def test_memory_size_0_times_without_the_memory_step(tmp_path):
    result = run('benchmark_backbone.py', '--modes', 'infer 32 b1',
                 '--repeats', 1, '--memory-size', 0, '--out-dir', tmp_path)
    assert_ok(result)
    report = json.loads((tmp_path / 'benchmark.json').read_text())
    assert report['memory'] == {}
    assert {row['impl'] for row in report['rows']} == IMPLEMENTATIONS
    table = (tmp_path / 'benchmark.md').read_text()
    assert 'Peak memory' not in table
    assert table.count('| s12 | infer 32 b1 |') == len(IMPLEMENTATIONS)


@pytest.mark.parametrize('args, fragments', [
    (['--memory-size', 2], ['--memory-size', 'at least 3', 'got 2']),
    (['--memory-size', -1], ['--memory-size', 'got -1']),
    (['--modes', '--memory-size', 0], ['nothing to measure']),
    (['--repeats', 0], ['--repeats', '0 is not a positive integer']),
    (['--threads', -2], ['--threads', '-2 is not a positive integer']),
    (['--device', 'gpu'], ['--device gpu', "give 'cpu' or a CUDA device"]),
    (['--device', 'meta'], ['--device meta', "give 'cpu'"]),
])
def test_bad_options_are_refused_before_any_timing(tmp_path, args,
                                                    fragments):
    result = run('benchmark_backbone.py', *args, '--out-dir', tmp_path)
    assert_clean_error(result, *fragments)
    # run_benchmark prints a line as soon as it has timed an arch.
    assert 'img/s' not in result.stdout
    assert not list(tmp_path.iterdir())


def test_an_out_dir_that_is_a_file_is_refused_before_any_timing(tmp_path):
    path = tmp_path / 'report'
    path.write_text('not a folder')
    result = run('benchmark_backbone.py', '--out-dir', path)
    assert_clean_error(result, '--out-dir', 'is a file')
    assert 'img/s' not in result.stdout


@pytest.mark.parametrize('arch', ['convformer_s18', 'caformer_s18'])
def test_baselines_are_timed_against_timm_with_the_same_weights(arch):
    """At a tiny size: timm's model first (the reference), ours plain and
    fast (channels-last, fused) give its features."""
    from mmpoolformer.models.layers import SquaredReLU
    implementations = build_implementations(arch, False)
    assert list(implementations) == ['timm', 'ours (plain)', 'ours (fast)']
    fast = implementations['ours (fast)'][0]
    assert fast.fused and fast.channels_last
    assert isinstance(fast.stages[0][0].mlp.act, SquaredReLU)
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected = implementations['timm'][1](x)
        assert expected.shape == (1, 512, 2, 3)
        for name in ('ours (plain)', 'ours (fast)'):
            out = implementations[name][1](x)
            assert (out - expected).abs().max().item() < 1e-4, name


def test_baseline_peak_memory_child_runs_ours():
    """The child process that measures one training step of CAFormer."""
    result = run_command([
        sys.executable, '-m', 'mmpoolformer.analysis.peak_memory',
        'caformer_s18', 'True', '64', 'cpu'
    ])
    assert_ok(result)
    assert json.loads(result.stdout.splitlines()[-1])['peak_mb'] > 0


def test_the_gpu_check_runs_on_the_cpu(tmp_path):
    """tools/gpu_check.sh --device cpu --quick: every dtype and fast path
    of S12 against mmpretrain and timm, AMP training steps that stay
    finite and the peak memory with and without with_cp, in its report."""
    result = run('gpu_check.sh', '--device', 'cpu', '--quick', '--out-dir',
                 tmp_path)
    assert_ok(result)
    report = (tmp_path / 'gpu_check.md').read_text()
    rows = [line.split(' | ') for line in report.splitlines()
            if line.startswith('| s12 |')]
    found = {(mode, dtype, impl) for _, mode, dtype, impl, *_ in rows}
    assert found == {
        (mode, dtype, impl)
        for mode in ('infer 32 b1', 'train 32 b2')
        for dtype in ('fp32', 'fp16', 'bf16')
        for impl in ('mmpretrain', 'timm', 'ours (plain)',
                     'ours (channels-last)', 'ours (fused)', 'ours (fast)')
        if mode == 'infer 32 b1'
        or (impl != 'ours (fused)' and dtype == 'fp32')
    }
    assert 'fp16 AMP training of s12: 3 steps' in report
    assert 'all finite' in report
    assert re.search(r'peak memory .* \d+ MB, with_cp \d+ MB', report)
