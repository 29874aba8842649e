"""tools/benchmark_backbone.py runs, agrees with the reference and reports;
its speed numbers are not checked here (docs/performance.md has them)."""
import json

import pytest
import torch

from tool_runs import assert_clean_error, assert_ok, run

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
