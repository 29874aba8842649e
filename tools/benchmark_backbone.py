"""Times our PoolFormer against mmpretrain's (the official layout) and timm's,
and our MetaFormer Baselines (PoolFormerV2, ConvFormer, CAFormer, named as
timm names them, e.g. ``caformer_s18``) against timm's, with identical
weights, in one process.

Runs are interleaved (each repeat times every implementation once, in
rotating order) and medians reported, so that load on the machine hits all
implementations alike. Also reports the max abs difference of the outputs
against the reference (mmpretrain's PoolFormer, timm's MetaFormer
Baselines) and, in child processes, the peak memory of a training step with
and without gradient checkpointing. Writes a Markdown table and a
PNG plot.

Example::

    python tools/benchmark_backbone.py --archs s12 m36 --repeats 7
    python tools/benchmark_backbone.py --archs convformer_s18 caformer_s18 \
        --modes 'infer 224 b1'
    python tools/benchmark_backbone.py --device cuda
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from mmengine.utils import ProgressBar

from _cli import ArgumentParser, CLIError, reports_errors

import mmpoolformer
from mmpoolformer.analysis import synchronize
from mmpoolformer.checkpoint import convert_backbone_state_dict
from mmpoolformer.checkpoint.convert_baselines import \
    convert_baseline_state_dict
from mmpoolformer.engine import fuse_backbones

MODES = {
    # name: (batch, height, width, training)
    # Not run by default: one image, for quick runs on a CPU.
    'infer 224 b1': (1, 224, 224, False),
    'infer 224 b8': (8, 224, 224, False),
    'infer 800x1216 b1': (1, 800, 1216, False),
    'train 224 b8': (8, 224, 224, True),
}


def parse_args():
    parser = ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--archs', nargs='+', default=['s12'])
    parser.add_argument('--modes', nargs='*', default=list(MODES)[1:],
                        choices=list(MODES),
                        help='timed modes; none measures only memory')
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--device', default='cpu',
                        help="where to run: 'cpu' or a CUDA device "
                        "('cuda', 'cuda:1')")
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch\'s choice)')
    parser.add_argument('--memory-size', type=int, default=512,
                        help='image size of the peak-memory training step')
    parser.add_argument('--out-dir', default='work_dirs/benchmark_backbone')
    parser.add_argument('--peak-memory-child', nargs=4,
                        metavar=('ARCH', 'WITH_CP', 'SIZE', 'DEVICE'),
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def random_official_weights(arch):
    """Random, non-trivial weights in the official layout (mmpretrain's)."""
    from mmpretrain.models.backbones import PoolFormer as Reference
    reference = Reference(arch=arch, out_indices=(6, ))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in reference.named_parameters():
            if 'layer_scale' in name:
                param.copy_(torch.rand(param.shape, generator=generator))
            else:
                param.add_(torch.randn(param.shape, generator=generator) *
                           0.02)
    return reference


# The MetaFormer Baselines families, by the first part of timm's names.
BASELINES = {
    'poolformerv2': mmpoolformer.PoolFormerV2,
    'convformer': mmpoolformer.ConvFormer,
    'caformer': mmpoolformer.CAFormer,
}


def build_ours(arch, **kwargs):
    """Our backbone of ``arch``: a PoolFormer arch ('s12') or a MetaFormer
    Baselines model ('caformer_s18')."""
    family, _, size = arch.partition('_')
    if family in BASELINES:
        return BASELINES[family](size, **kwargs)
    return mmpoolformer.PoolFormer(arch, **kwargs)


def build_baseline_implementations(arch, training):
    """timm's MetaFormer Baselines model (the reference, random weights)
    and ours with its weights: {name: (model, forward returning the
    last stage's features through the classifier's final norm)}."""
    import timm
    reference = timm.create_model(arch, pretrained=False)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.02)
    state = convert_baseline_state_dict(reference.state_dict())
    # timm's final norm (LayerNorm2d) normalises the pooled features; on the
    # map it is our last output norm.
    implementations = {'timm': (reference, lambda x: reference.head.norm(
        reference.forward_features(x)))}
    for name, kwargs in (('ours (plain)', {}),
                         ('ours (fast)', dict(channels_last=True))):
        model = build_ours(arch, out_indices=(3, ), **kwargs)
        model.load_state_dict(state, strict=True)
        if name == 'ours (fast)' and not training:
            fuse_backbones(model)
        implementations[name] = (model, lambda x, model=model: model(x)[0])
    return implementations


def build_implementations(arch, training):
    """Returns {name: (model, forward returning the last-stage tensor)},
    the reference first."""
    if arch.partition('_')[0] in BASELINES:
        return build_baseline_implementations(arch, training)
    reference = random_official_weights(arch)
    state = reference.state_dict()
    implementations = {'mmpretrain': (reference, lambda x: reference(x)[-1])}

    def ours(**kwargs):
        model = mmpoolformer.PoolFormer(arch, out_indices=(3, ), **kwargs)
        model.load_state_dict(
            {k: v
             for k, v in convert_backbone_state_dict(state).items()
             if k in model.state_dict()},
            strict=True)
        return model

    plain = ours()
    implementations['ours (plain)'] = (plain, lambda x: plain(x)[0])
    fast = ours(channels_last=True)
    if not training:
        fuse_backbones(fast)
    implementations['ours (fast)'] = (fast, lambda x: fast(x)[0])
    try:
        import timm
        from timm.models.metaformer import checkpoint_filter_fn
    except ImportError:
        return implementations
    timm_model = timm.create_model(f'poolformer_{arch}', pretrained=False)
    official = {k: v for k, v in state.items() if not k.startswith('norm')}
    official.update({f'norm.{k}': v for k, v in reference.norm6.state_dict()
                     .items()})
    official.update({f'head.{k}': v for k, v in
                     timm_model.head.fc.state_dict().items()})
    timm_model.load_state_dict(checkpoint_filter_fn(official, timm_model))
    # timm applies its output norm after pooling; compare stage outputs
    # normed by the same (official) final norm instead.
    implementations['timm'] = (
        timm_model, lambda x: reference.norm6(timm_model.forward_features(x)))
    return implementations


def time_once(forward, x, training):
    synchronize(x.device)
    start = time.perf_counter()
    if training:
        forward(x).float().mean().backward()
    else:
        with torch.no_grad():
            forward(x)
    synchronize(x.device)
    return time.perf_counter() - start


def benchmark(arch, mode, repeats, device):
    batch, height, width, training = MODES[mode]
    implementations = build_implementations(arch, training)
    for model, _ in implementations.values():
        model.to(device).train(training)
    x = torch.randn(batch, 3, height, width).to(device)
    names = list(implementations)
    with torch.no_grad():
        expected = implementations[names[0]][1](x)
        diffs = {
            name: (forward(x) - expected).abs().max().item()
            for name, (_, forward) in implementations.items()
        }
    # Counts the runs, warm-up included, on stderr.
    progress = ProgressBar(len(names) * (1 + repeats), file=sys.stderr)
    for name in names:  # warm-up
        time_once(implementations[name][1], x, training)
        progress.update()
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(time_once(implementations[name][1], x,
                                         training))
            progress.update()
    print(file=sys.stderr)
    reference = statistics.median(times[names[0]])
    rows = []
    for name in names:
        median = statistics.median(times[name])
        rows.append(
            dict(arch=arch, mode=mode, impl=name, median_s=median,
                 images_per_s=batch / median, speedup=reference / median,
                 max_abs_diff=diffs[name]))
    return rows


def _status_kb(field):
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise RuntimeError(f'no {field} in /proc/self/status')


def peak_memory_child(arch, with_cp, size, device):
    """Prints how far a training step raises the memory above what the
    model and input already hold: on CUDA, the allocator's peak; on CPU, the
    resident memory (Linux: resets the high-water mark through
    /proc/self/clear_refs first)."""
    device = torch.device(device)
    model = build_ours(arch, with_cp=with_cp == 'True').to(device).train()
    x = torch.randn(2, 3, int(size), int(size), device=device)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
    else:
        before = _status_kb('VmRSS') * 1024
        Path('/proc/self/clear_refs').write_text('5')
    sum(o.mean() for o in model(x)).backward()
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(device)
    else:
        peak = _status_kb('VmHWM') * 1024
    print(json.dumps(dict(peak_mb=(peak - before) / 2**20)))


def peak_memory(arch, size, device):
    """Peak memory of a training step with and without with_cp, each in a
    fresh process. glibc keeps large freed blocks in its heap unless they
    were mmapped, which would make the resident peak measure the allocator;
    a fixed mmap threshold makes it follow the memory the step holds."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
    result = {}
    for with_cp in (False, True):
        out = subprocess.run([
            sys.executable, __file__, '--peak-memory-child', arch,
            str(with_cp), str(size), str(device)
        ], capture_output=True, text=True, check=True, env=env).stdout
        result[with_cp] = json.loads(out.strip().splitlines()[-1])['peak_mb']
    return result


def describe_device(device):
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    return f'CPU, {torch.get_num_threads()} torch threads'


def write_report(rows, memory, out_dir, args):
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        f'Machine: {describe_device(torch.device(args.device))}, torch '
        f'{torch.__version__}, fp32, {args.repeats} interleaved repeats '
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
    lines += [
        '', f'Peak memory of a training step, batch 2 at '
        f'{args.memory_size}x{args.memory_size}:', '',
        '| arch | with_cp=False | with_cp=True | ratio |', '|---|---|---|---|'
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


@reports_errors
def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.peak_memory_child:
        peak_memory_child(*args.peak_memory_child)
        return
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise CLIError(f'--device {args.device}: no CUDA device is '
                       'available')
    rows = []
    for arch in args.archs:
        for mode in args.modes:
            rows += benchmark(arch, mode, args.repeats, device)
            print(f'{arch} {mode}: ' + ', '.join(
                f"{r['impl']} {r['images_per_s']:.2f} img/s "
                f"({r['speedup']:.2f}x)" for r in rows
                if (r['arch'], r['mode']) == (arch, mode)), flush=True)
    memory = {arch: peak_memory(arch, args.memory_size, device)
              for arch in args.archs}
    out_dir = Path(args.out_dir)
    print(write_report(rows, memory, out_dir, args))
    print(f'report: {out_dir / "benchmark.md"}' +
          (f', plot: {out_dir / "throughput.png"}' if rows else ''))


if __name__ == '__main__':
    main()
