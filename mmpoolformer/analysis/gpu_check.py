"""The device check of our backbones, for the first machine with a GPU:
throughput in fp32, fp16 and bf16 (autocast), channels-last and fused or
not, against mmpretrain's and timm's PoolFormer-S12 and -M36 and timm's
CAFormer-S18 with the same weights; 50 fp16 AMP training steps of the
backbone, which must stay finite; the peak memory of a training step with
and without ``with_cp``. It needs PyTorch, timm, mmengine, mmcv's ``cnn``
(mmcv-lite) and mmpretrain, no compiled op, and writes ``gpu_check.md``.

``tools/gpu_check.sh`` runs it (with the carried wheels where those
packages are missing): ``--device cpu --quick`` checks in seconds that it
works, with PoolFormer-S12 alone on 32x32 images, training timed in fp32
only, and a few AMP steps.
"""
import argparse
import math
import os
import os.path as osp
import time

import torch

from .backbone_benchmark import benchmark, build_ours
from .peak_memory import peak_memory

ARCHS = ('s12', 'm36', 'caformer_s18')
DTYPES = {'fp32': None, 'fp16': torch.float16, 'bf16': torch.bfloat16}


def amp_training(arch: str, steps: int, size: int, batch: int,
                 device) -> dict:
    """``steps`` AdamW steps of the backbone under fp16 autocast with a
    gradient scaler, on a fixed random batch: the first and last loss and
    whether every loss and parameter stayed finite."""
    device = torch.device(device)
    torch.manual_seed(0)
    model = build_ours(arch).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type)
    x = torch.randn(batch, 3, size, size, device=device)
    losses = []
    for _ in range(steps):
        with torch.autocast(device.type, dtype=torch.float16):
            loss = sum(out.float().square().mean() for out in model(x))
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    finite = all(map(math.isfinite, losses)) and all(
        torch.isfinite(p).all() for p in model.parameters())
    return dict(steps=steps, first=losses[0], last=losses[-1], finite=finite)


def run_check(device: str, quick: bool, repeats: int) -> str:
    """The check's report (markdown)."""
    modes = ('infer 32 b1', 'train 32 b2') if quick else ('infer 224 b8',
                                                          'train 224 b8')
    lines = [
        f'# Device check: {device}, torch {torch.__version__}'
        + (f', {torch.cuda.get_device_name(device)}'
           if torch.device(device).type == 'cuda' else ''),
        '', '| arch | mode | dtype | implementation | images/s | vs '
        'reference | max abs diff |', '|---|---|---|---|---|---|---|'
    ]
    for arch in ARCHS[:1] if quick else ARCHS:
        for mode in modes:
            for dtype_name, dtype in DTYPES.items():
                if quick and mode.startswith('train') and dtype:
                    continue  # autocast training on a CPU takes long
                rows = benchmark(arch, mode, repeats, device, dtype=dtype,
                                 variants=True)
                lines += [
                    f'| {arch} | {mode} | {dtype_name} | {r["impl"]} | '
                    f'{r["images_per_s"]:.1f} | {r["speedup"]:.2f}x | '
                    f'{r["max_abs_diff"]:.1e} |' for r in rows
                ]
    amp = amp_training('s12', *((3, 32, 2) if quick else (50, 224, 8)),
                       device)
    lines += [
        '', f'fp16 AMP training of s12: {amp["steps"]} steps, loss '
        f'{amp["first"]:.4g} -> {amp["last"]:.4g}, '
        f'{"all finite" if amp["finite"] else "NOT FINITE"}'
    ]
    memory = peak_memory('s12', 32 if quick else 512, device)
    lines.append(f'peak memory of a training step (s12, batch 2): '
                 f'{memory[False]:.0f} MB, with_cp {memory[True]:.0f} MB')
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--quick', action='store_true',
                        help='32x32 images and a few steps, for a CPU')
    parser.add_argument('--repeats', type=int, default=None,
                        help='timed runs each (default: 1 quick, else 10)')
    parser.add_argument('--out-dir', default='work_dirs/gpu_check')
    args = parser.parse_args()
    start = time.perf_counter()
    report = run_check(args.device, args.quick, args.repeats
                       or (1 if args.quick else 10))
    report += f'\n{time.perf_counter() - start:.0f} s\n'
    print(report)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'gpu_check.md'), 'w') as f:
        f.write(report)


if __name__ == '__main__':
    main()
