"""Maps MetaFormer Baselines checkpoints (PoolFormerV2, ConvFormer, CAFormer)
to the official parameter names, which our backbones use.

Layouts recognised, by their keys:

- ``official``: sail-sg/metaformer and ours: ``downsample_layers.{i}``
  (``.pre_norm``, ``.conv``, ``.post_norm``), ``stages.{i}.{j}`` with
  linear MLPs and pointwise convolutions, the classifier's final norm
  ``norm`` (ours: ``norm{i}`` a stage) and head ``head.*``.
- ``timm``: ``stem.conv``/``stem.norm``, ``stages.{i}.downsample``
  (``.norm``, ``.conv``), ``stages.{i}.blocks.{j}`` with 1x1 convolutions
  where the official code has linear layers, ``head.norm`` and ``head.fc``.

Classification heads (besides their final norm) are dropped.
"""
import re
from typing import Optional

from mmengine.logging import print_log

from .errors import CheckpointError

StateDict = dict


def detect_baseline_layout(state_dict: StateDict) -> Optional[str]:
    """'official', 'timm' or None (no MetaFormer Baselines weights)."""
    keys = list(state_dict)
    if any(k.startswith('downsample_layers.') for k in keys):
        return 'official'
    if any(k.startswith('stem.norm.') for k in keys) or any(
            re.match(r'stages\.\d+\.blocks\.\d+\.res_scale\d\.', k)
            for k in keys):
        return 'timm'
    return None


def _from_timm(key: str) -> str:
    key = re.sub(r'^stem\.conv\.', 'downsample_layers.0.conv.', key)
    key = re.sub(r'^stem\.norm\.', 'downsample_layers.0.post_norm.', key)
    key = re.sub(r'^stages\.(\d+)\.downsample\.norm\.',
                 r'downsample_layers.\1.pre_norm.', key)
    key = re.sub(r'^stages\.(\d+)\.downsample\.conv\.',
                 r'downsample_layers.\1.conv.', key)
    key = re.sub(r'^stages\.(\d+)\.blocks\.(\d+)\.', r'stages.\1.\2.', key)
    return re.sub(r'^head\.norm\.', 'norm.', key)


# Layers that are linear in the official code and 1x1 convolutions in timm.
POINTWISE = re.compile(r'\.(mlp\.fc\d|token_mixer\.pwconv\d)\.weight$')


def convert_baseline_state_dict(state_dict: StateDict) -> StateDict:
    """Converts a MetaFormer Baselines backbone state dict to the official
    names (the classifier's final norm ``norm`` becomes the last stage's
    output norm).

    Raises:
        CheckpointError: no MetaFormer Baselines weights were recognised.
    """
    layout = detect_baseline_layout(state_dict)
    if layout is None:
        sample = ', '.join(list(state_dict)[:5])
        raise CheckpointError(
            'no MetaFormer Baselines weights recognised (expected official '
            '"downsample_layers.*"/"stages.*" or timm "stem.*"/'
            f'"stages.*.blocks" keys), got keys like: {sample}')
    renamed = {_from_timm(k) if layout == 'timm' else k: v
               for k, v in state_dict.items()}
    last = max(int(k.split('.')[1]) for k in renamed
               if k.startswith('stages.'))
    converted, dropped = {}, []
    for key, value in renamed.items():
        if key.startswith('head.'):
            dropped.append(key)
            continue
        key = re.sub(r'^norm\.', f'norm{last}.', key)
        if POINTWISE.search(key) and value.dim() == 4:
            value = value.flatten(1)
        converted[key] = value
    if dropped:
        print_log(f'MetaFormer Baselines checkpoint ({layout} layout): '
                  f'dropped {len(dropped)} head tensors: '
                  f'{", ".join(dropped)}', logger='current')
    return converted
