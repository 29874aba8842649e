"""Checks of the MetaFormer backbones' arguments."""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch

from ..validation import check_int, check_list, check_number, is_int

# A layer config (dict or short name) for all stages, or one a stage.
CfgOrStages = Union[str, Dict, Sequence[Union[str, Dict]]]


def per_stage(name: str, value: Any, num_stages: int,
              check: Optional[Callable[[str, Any], Any]] = None) -> List:
    """``value`` (one for all stages, or a list or tuple of one a stage)
    for each stage, each entry through ``check(name, entry)`` if given."""
    values = list(value) if isinstance(value, (list, tuple)) \
        else [value] * num_stages
    if len(values) != num_stages:
        raise ValueError(f'{name} needs one entry for each of the '
                         f'{num_stages} stages, got {value!r}')
    if check is None:
        return values
    return [check(f'{name}[{i}]', v) for i, v in enumerate(values)]


def optional_number(name: str, value: Any) -> Optional[float]:
    """``value``, a finite number, or None."""
    return None if value is None else check_number(name, value)


def parse_arch(arch: Union[str, Dict], arch_settings: Dict[str, Dict],
               model: str, optional: Dict) -> Dict:
    """``arch`` (a name in ``arch_settings`` or a dict with ``layers``,
    ``embed_dims`` and optionally the keys of ``optional``) checked, the
    keys of ``optional`` filled in (``mlp_ratios`` None: 4 each)."""
    allowed = (f'one of {sorted(arch_settings)} or a dict with the keys '
               f'"layers" and "embed_dims"' +
               (f' and optionally {sorted(optional)}' if optional else ''))
    if isinstance(arch, str):
        if arch.lower() not in arch_settings:
            raise ValueError(f'unknown {model} arch {arch!r}: choose '
                             f'{allowed}')
        arch = arch_settings[arch.lower()]
    if not isinstance(arch, dict):
        raise TypeError(f'arch must be {allowed}, got {arch!r}')
    if not {'layers', 'embed_dims'} <= set(arch) <= {
            'layers', 'embed_dims', *optional}:
        raise ValueError(f'arch must be {allowed}, got {arch!r}')
    layers = [
        check_int(f'arch["layers"][{i}]', n, minimum=1)
        for i, n in enumerate(check_list('arch["layers"]', arch['layers']))
    ]
    parsed = {**optional, **arch, 'layers': layers}
    parsed['embed_dims'] = [
        check_int(f'arch["embed_dims"][{i}]', dim, minimum=1)
        for i, dim in enumerate(
            check_list('arch["embed_dims"]', arch['embed_dims'],
                       len(layers)))
    ]
    if 'mlp_ratios' in parsed:
        ratios = parsed['mlp_ratios']
        parsed['mlp_ratios'] = check_list(
            'arch["mlp_ratios"]', [4] * len(layers) if ratios is None
            else ratios, len(layers))
        for i, (dim, ratio) in enumerate(
                zip(parsed['embed_dims'], parsed['mlp_ratios'])):
            check_number(f'arch["mlp_ratios"][{i}]', ratio, low=0)
            if int(dim * ratio) < 1:
                raise ValueError(
                    f'arch["mlp_ratios"][{i}] must leave stage {i}\'s MLP '
                    f'at least one hidden channel (int({dim} * ratio) >= '
                    f'1), got {ratio!r}')
    if 'layer_scale_init_value' in parsed:
        check_number('arch["layer_scale_init_value"]',
                     parsed['layer_scale_init_value'])
    return parsed


def parse_img_size(img_size: Union[int, Sequence[int]],
                   minimum: int) -> Tuple[int, int]:
    """``img_size`` as (H, W), each side at least ``minimum``."""
    allowed = (f'an int >= {minimum} or an (H, W) pair of them (the '
               f'stem\'s kernel needs {minimum} pixels)')
    size = [img_size, img_size] if is_int(img_size) else img_size
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            is_int(n) for n in size):
        raise TypeError(f'img_size must be {allowed}, got {img_size!r}')
    if min(size) < minimum:
        raise ValueError(f'img_size must be {allowed}, got {img_size!r}')
    return int(size[0]), int(size[1])


def block_drop_path_rates(drop_path_rate: float,
                          num_blocks: int) -> List[float]:
    """Each block's drop path, rising linearly from 0 to
    ``drop_path_rate``, in [0, 1)."""
    check_number('drop_path_rate', drop_path_rate, 0, 1, high_open=True)
    rates = torch.linspace(0, drop_path_rate, num_blocks).tolist()
    if max(rates) >= 1:
        raise ValueError(
            'drop_path_rate must stay under 1 in float32, the precision '
            'of the blocks\' rates (a rate of 1 drops every sample and '
            f'divides by 0), got {drop_path_rate!r}')
    return rates


def parse_out_indices(out_indices: Union[int, Sequence[int]],
                      num_stages: int) -> Tuple[int, ...]:
    """``out_indices`` as increasing stage indices from 0."""
    allowed = (f'an int or a non-empty list of increasing, distinct ints '
               f'counting the {num_stages} stages (from {-num_stages} to '
               f'{num_stages - 1})')
    indices = [out_indices] if is_int(out_indices) else out_indices
    if not isinstance(indices, (list, tuple)) or not all(
            is_int(index) for index in indices):
        raise TypeError(f'out_indices must be {allowed}, got '
                        f'{out_indices!r}')
    parsed = [int(index) % num_stages for index in indices]
    in_range = all(-num_stages <= index < num_stages for index in indices)
    increasing = all(a < b for a, b in zip(parsed, parsed[1:]))
    if not indices or not in_range or not increasing:
        raise ValueError(f'out_indices must be {allowed}, got '
                         f'{out_indices!r}')
    return tuple(parsed)


def check_frozen_stages(frozen_stages: int,
                        out_indices: Tuple[int, ...]) -> None:
    """Refuses ``frozen_stages`` outside the built stages."""
    maximum = out_indices[-1] + 1
    if not is_int(frozen_stages) or not -1 <= frozen_stages <= maximum:
        kind = ValueError if is_int(frozen_stages) else TypeError
        raise kind(f'frozen_stages must be an int from -1 to {maximum} '
                   f'for out_indices {out_indices}, got '
                   f'{frozen_stages!r}')


def parse_init_cfg(pretrained: Optional[str],
                   init_cfg: Optional[Union[Dict, List[Dict]]],
                   default: Dict) -> Union[Dict, List[Dict]]:
    """The init config: ``pretrained``'s, else ``init_cfg`` or
    ``default``."""
    if pretrained is not None:
        if not isinstance(pretrained, str):
            raise TypeError('pretrained must be a checkpoint path or URL '
                            f'(a str) or None, got {pretrained!r}')
        if init_cfg is not None:
            raise ValueError('give pretrained weights either as '
                             '"pretrained" or in "init_cfg", not both')
        return dict(type='Pretrained', checkpoint=pretrained)
    if init_cfg is None:
        # BaseModule keeps a deep copy.
        return default
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    if not all(isinstance(cfg, dict) and 'type' in cfg for cfg in cfgs):
        raise TypeError('init_cfg must be None, a dict with a "type" or a '
                        f'list of them, got {init_cfg!r}')
    if isinstance(init_cfg, dict) and init_cfg['type'] == 'Pretrained':
        if not isinstance(init_cfg.get('checkpoint'), str):
            raise ValueError('init_cfg of type "Pretrained" needs a '
                             '"checkpoint" path or URL (a str), got '
                             f'{init_cfg!r}')
        if not isinstance(init_cfg.get('keep_classifier_norm', False), bool):
            raise TypeError('init_cfg\'s "keep_classifier_norm" must be '
                            f'a bool, got {init_cfg!r}')
    return init_cfg
