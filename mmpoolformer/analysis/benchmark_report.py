"""The Markdown table, JSON and plot of a backbone benchmark
(:mod:`.backbone_benchmark`)."""
import json
from pathlib import Path

import torch

from ..engine import UsageError
from ..models.backbones.metaformer import MIN_IMG_SIZE
from .backbone_benchmark import MODES, benchmark
from .peak_memory import peak_memory


def describe_device(device):
    """The GPU's name, or the CPU and its torch threads."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    return f'CPU, {torch.get_num_threads()} torch threads'


def write_report(rows: list, memory: dict, out_dir: Path, device: str,
                 repeats: int, memory_size: int) -> str:
    """Writes benchmark.md, benchmark.json and (with timed rows)
    throughput.png into ``out_dir``; returns the table.

    Args:
        rows (list[dict]): From :func:`.backbone_benchmark.benchmark`.
        memory (dict): {arch: {with_cp: MB}}, from
            :func:`.peak_memory.peak_memory`; empty: no memory table.
        out_dir (Path): Where the files go.
        device (str): Where the rows were timed.
        repeats (int): Timed runs per implementation.
        memory_size (int): Image size of the peak-memory step.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        f'Machine: {describe_device(torch.device(device))}, torch '
        f'{torch.__version__}, fp32, {repeats} interleaved repeats '
        '(medians). Reference: mmpretrain for PoolFormer archs, timm for '
        'the MetaFormer Baselines.', '',
        '| arch | mode | implementation | median s | images/s | '
        'vs reference | max abs diff |', '|---|---|---|---|---|---|---|'
    ]
    for r in rows:
        lines.append(
            f"| {r['arch']} | {r['mode']} | {r['impl']} | "
            f"{r['median_s']:.3f} | {r['images_per_s']:.2f} | "
            f"{r['speedup']:.2f}x | {r['max_abs_diff']:.1e} |")
    if memory:
        lines += [
            '', f'Peak memory of a training step, batch 2 at '
            f'{memory_size}x{memory_size}:', '',
            '| arch | with_cp=False | with_cp=True | ratio |',
            '|---|---|---|---|'
        ]
    for arch, m in memory.items():
        lines.append(f'| {arch} | {m[False]:.0f} MB | {m[True]:.0f} MB | '
                     f'{m[True] / m[False]:.2f} |')
    table = '\n'.join(lines) + '\n'
    (out_dir / 'benchmark.md').write_text(table)
    (out_dir / 'benchmark.json').write_text(
        json.dumps(dict(rows=rows, memory=memory), indent=2))
    if rows:
        plot(rows, out_dir / 'throughput.png')
    return table


def plot(rows, path):
    """Bars of throughput relative to the reference's (modes differ in
    images/s by orders of magnitude), each labelled with its images/s."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    groups = sorted({(r['arch'], r['mode']) for r in rows},
                    key=lambda g: (g[0], list(MODES).index(g[1])))
    impls = list(dict.fromkeys(r['impl'] for r in rows))
    width = 0.8 / len(impls)
    fig, ax = plt.subplots(figsize=(2 + 2.2 * len(groups), 4))
    for i, impl in enumerate(impls):
        found = [
            next((r for r in rows
                  if (r['arch'], r['mode'], r['impl']) == (*g, impl)), None)
            for g in groups
        ]
        bars = ax.bar([j + i * width for j in range(len(groups))],
                      [r['speedup'] if r else 0 for r in found], width,
                      label=impl)
        ax.bar_label(bars, [f"{r['images_per_s']:.3g}" if r else ''
                            for r in found], fontsize=7)
    ax.axhline(1, color='grey', linewidth=0.8, linestyle='--')
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(groups))])
    ax.set_xticklabels([f'{a}\n{m}' for a, m in groups])
    ax.set_ylabel('throughput / reference\'s (higher is better)')
    ax.set_title('Backbone throughput, same weights (labels: images/s)')
    ax.set_ylim(0, 1.25 * max(r['speedup'] for r in rows))
    ax.legend(loc='upper left', ncol=len(impls), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def check_options(modes: list, device: str, memory_size: int,
                  out_dir: Path) -> torch.device:
    """The device of ``tools/benchmark_backbone.py``'s options, a
    UsageError naming the first option that cannot run."""
    if memory_size != 0 and memory_size < MIN_IMG_SIZE:
        raise UsageError(f'--memory-size must be 0 (no memory step) or at '
                         f'least {MIN_IMG_SIZE}, got {memory_size}')
    if not modes and not memory_size:
        raise UsageError('nothing to measure: give --modes or a '
                         '--memory-size above 0')
    try:
        parsed = torch.device(device)
    except RuntimeError:
        parsed = None
    if parsed is None or parsed.type not in ('cpu', 'cuda'):
        raise UsageError(f'--device {device}: give \'cpu\' or a CUDA '
                         'device (\'cuda\', \'cuda:1\')')
    if parsed.type == 'cuda' and not torch.cuda.is_available():
        raise UsageError(f'--device {device}: no CUDA device is available')
    if parsed.type == 'cuda' and (parsed.index or 0) >= \
            torch.cuda.device_count():
        raise UsageError(f'--device {device}: there are '
                         f'{torch.cuda.device_count()} CUDA devices')
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f'--out-dir {out_dir} is a file, not a folder')
    return parsed


def run_benchmark(archs: list, modes: list, repeats: int, device: str,
                  memory_size: int, out_dir: Path) -> str:
    """Times every arch in every mode (:func:`.backbone_benchmark.benchmark`,
    a line each as it goes), measures the peak memory of a training step
    with and without ``with_cp`` (unless ``memory_size`` is 0) and writes
    the report (:func:`write_report`); returns the table. Options that
    cannot run are refused first (:func:`check_options`)."""
    device = check_options(modes, device, memory_size, out_dir)
    rows = []
    for arch in archs:
        for mode in modes:
            rows += benchmark(arch, mode, repeats, device)
            print(f'{arch} {mode}: ' + ', '.join(
                f"{r['impl']} {r['images_per_s']:.2f} img/s "
                f"({r['speedup']:.2f}x)" for r in rows
                if (r['arch'], r['mode']) == (arch, mode)), flush=True)
    memory = {arch: peak_memory(arch, memory_size, device)
              for arch in archs} if memory_size else {}
    return write_report(rows, memory, out_dir, str(device), repeats,
                        memory_size)
