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
    # Not run by default: one image, for quick runs on a CPU.
    'infer 224 b1': (1, 224, 224, False),
    'infer 224 b8': (8, 224, 224, False),
    'infer 800x1216 b1': (1, 800, 1216, False),
    'train 224 b8': (8, 224, 224, True),
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


def build_ours(arch, **kwargs):
    """Our backbone of ``arch``: a PoolFormer arch ('s12') or a MetaFormer
    Baselines model ('caformer_s18')."""
    family, _, size = arch.partition('_')
    if family in BASELINE_CLASSES:
        return BASELINE_CLASSES[family](size, **kwargs)
    return PoolFormer(arch, **kwargs)


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
    state = convert_backbone_state_dict(reference.state_dict(), BASELINES)
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
    if arch.partition('_')[0] in BASELINE_CLASSES:
        return build_baseline_implementations(arch, training)
    reference = random_official_weights(arch)
    state = reference.state_dict()
    implementations = {'mmpretrain': (reference, lambda x: reference(x)[-1])}

    def ours(**kwargs):
        model = PoolFormer(arch, out_indices=(3, ), **kwargs)
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
    """Seconds of one forward (with ``training``, forward and backward)."""
    synchronize(x.device)
    start = time.perf_counter()
    if training:
        forward(x).float().mean().backward()
    else:
        with torch.no_grad():
            forward(x)
    synchronize(x.device)
    return time.perf_counter() - start


def benchmark(arch: str, mode: str, repeats: int, device) -> list:
    """Times every implementation of ``arch`` in ``mode`` (one of
    :data:`MODES`): one untimed run each, then ``repeats`` interleaved
    timed runs. A progress bar on stderr counts the runs.

    Returns:
        list[dict]: One row per implementation, the reference first: its
        median seconds, images/s, speed-up over the reference and max abs
        output difference from it.
    """
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
