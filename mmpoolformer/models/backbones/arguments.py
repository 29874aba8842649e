"""Checks of the arguments every MetaFormer backbone shares: per-stage layer
configs, ``out_indices``, ``frozen_stages`` and the init config."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

from ..validation import check_number, is_int

# A layer config (dict or short name) for all stages, or one a stage.
CfgOrStages = Union[str, Dict, Sequence[Union[str, Dict]]]


def per_stage(value: CfgOrStages, num_stages: int,
              name: str) -> List[Union[str, Dict]]:
    """The config of each stage: ``value``, or its entries."""
    if isinstance(value, (str, dict)):
        return [value] * num_stages
    if not isinstance(value, (list, tuple)):
        raise TypeError(f'{name} must be a config dict, a short name or '
                        f'a list of them (one a stage), got {value!r}')
    if len(value) != num_stages:
        raise ValueError(f'{name} needs one entry for each of the '
                         f'{num_stages} stages, got {value!r}')
    return list(value)


def block_drop_path_rates(drop_path_rate: float,
                          num_blocks: int) -> List[float]:
    """The drop path rate of each block: rising linearly from 0 to
    ``drop_path_rate``, which must be in [0, 1)."""
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
    """The init config: ``pretrained`` turned into one, None into
    ``default`` (the family's official initialisation)."""
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
