"""Our backbones timed against their references with identical weights, in
one process: PoolFormer against mmpretrain's (the official layout) and
timm's, the MetaFormer Baselines (PoolFormerV2, ConvFormer, CAFormer, named
as timm names them, e.g. ``caformer_s18``) against timm's.

Runs are interleaved (each repeat times every implementation once, in
rotating order) and medians reported, so that load on the machine hits all
implementations alike; each row also has the max abs difference of the
output against the reference's. ``tools/benchmark_backbone.py`` runs it.
"""
import statistics
import sys
import time

import torch
from mmengine.utils import ProgressBar

from ..checkpoint import BASELINES, convert_backbone_state_dict
from ..engine import fuse_backbones
from ..models import CAFormer, ConvFormer, PoolFormer, PoolFormerV2
from .timing import synchronize

MODES = {
    # name: (batch, height, width, training)
    'infer 224 b1': (1, 224, 224, False),
    'infer 224 b8': (8, 224, 224, False),
    'infer 800x1216 b1': (1, 800, 1216, False),
    'train 224 b8': (8, 224, 224, True),
    # Checks that the tools work, in seconds.
    'infer 32 b1': (1, 32, 32, False),
    'train 32 b2': (2, 32, 32, True),
}
# What tools/benchmark_backbone.py times unless told otherwise.
DEFAULT_MODES = ('infer 224 b8', 'infer 800x1216 b1', 'train 224 b8')
# Our fast paths, each alone and together: (channels_last, fused).
VARIANTS = {
    'ours (plain)': (False, False),
    'ours (channels-last)': (True, False),
    'ours (fused)': (False, True),
    'ours (fast)': (True, True),
}


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
BASELINE_CLASSES = {
    'poolformerv2': PoolFormerV2,
    'convformer': ConvFormer,
    'caformer': CAFormer,
}


# Every arch it times: PoolFormer's ('s12') and timm's names of the
# Baselines' ('caformer_s18').
ARCHS = (*PoolFormer.arch_settings, *(
    f'{family}_{size}' for family, model in BASELINE_CLASSES.items()
    for size in model.arch_settings))


def build_ours(arch, **kwargs):
    """Our backbone of ``arch``: a PoolFormer arch ('s12') or a MetaFormer
    Baselines model ('caformer_s18')."""
    family, _, size = arch.partition('_')
    if family in BASELINE_CLASSES:
        return BASELINE_CLASSES[family](size, **kwargs)
    return PoolFormer(arch, **kwargs)


def our_variants(arch, state, training, variants):
    """{name: (model, forward)} of our backbone with ``state``: plain and
    fast, or with ``variants`` every one of :data:`VARIANTS` (a fused model
    is for inference: in training only the channels-last ones)."""
    names = list(VARIANTS) if variants else ['ours (plain)', 'ours (fast)']
    implementations = {}
    for name in names:
        channels_last, fused = VARIANTS[name]
        if fused and training and not channels_last:
            continue
        model = build_ours(arch, out_indices=(3, ),
                           channels_last=channels_last)
        model.load_state_dict(state, strict=True)
        if fused and not training:
            fuse_backbones(model)
        implementations[name] = (model, lambda x, model=model: model(x)[0])
    return implementations


def build_baseline_implementations(arch, training, variants=False):
    """timm's MetaFormer Baselines model (the reference, random weights)
    and ours with its weights: {name: (model, forward returning the
    last stage's features through the classifier's final norm)}."""
    import timm
    reference = timm.create_model(arch, pretrained=False)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.02)
    state = convert_backbone_state_dict(reference.state_dict(), BASELINES)
    # timm's final norm (LayerNorm2d) normalises the pooled features; on the
    # map it is our last output norm.
    implementations = {'timm': (reference, lambda x: reference.head.norm(
        reference.forward_features(x)))}
    implementations.update(our_variants(arch, state, training, variants))
    return implementations


def build_implementations(arch, training, variants=False):
    """Returns {name: (model, forward returning the last-stage tensor)},
    the reference first; ours as :func:`our_variants` says."""
    if arch.partition('_')[0] in BASELINE_CLASSES:
        return build_baseline_implementations(arch, training, variants)
    reference = random_official_weights(arch)
    state = reference.state_dict()
    implementations = {'mmpretrain': (reference, lambda x: reference(x)[-1])}
    implementations.update(our_variants(
        arch, convert_backbone_state_dict(state), training, variants))
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


def time_once(forward, x, training, dtype=None):
    """Seconds of one forward (with ``training``, forward and backward),
    under autocast to ``dtype`` unless it is None."""
    synchronize(x.device)
    start = time.perf_counter()
    with torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
        if training:
            forward(x).float().mean().backward()
        else:
            with torch.no_grad():
                forward(x)
    synchronize(x.device)
    return time.perf_counter() - start


def benchmark(arch: str, mode: str, repeats: int, device, dtype=None,
              variants: bool = False) -> list:
    """Times every implementation of ``arch`` in ``mode`` (one of
    :data:`MODES`): one untimed run each, then ``repeats`` interleaved
    timed runs, under autocast to ``dtype`` unless it is None (the
    differences too); ours plain and fast, or with ``variants`` each fast
    path alone too. A progress bar on stderr counts the runs.

    Returns:
        list[dict]: One row per implementation, the reference first: its
        median seconds, images/s, speed-up over the reference and max abs
        output difference from it.
    """
    batch, height, width, training = MODES[mode]
    implementations = build_implementations(arch, training, variants)
    for model, _ in implementations.values():
        model.to(device).train(training)
    x = torch.randn(batch, 3, height, width).to(device)
    names = list(implementations)
    with torch.no_grad(), torch.autocast(x.device.type, dtype=dtype,
                                         enabled=dtype is not None):
        expected = implementations[names[0]][1](x)
        diffs = {
            name: (forward(x) - expected).abs().max().float().item()
            for name, (_, forward) in implementations.items()
        }
    # Counts the runs, warm-up included, on stderr.
    progress = ProgressBar(len(names) * (1 + repeats), file=sys.stderr)
    for name in names:  # warm-up
        time_once(implementations[name][1], x, training, dtype)
        progress.update()
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(time_once(implementations[name][1], x,
                                         training, dtype))
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
