"""Layer-wise learning-rate decay for our backbones: the layers near the
input learn slower than those near the head, as the recipes that fine-tune
ConvNeXt, Swin or BEiT backbones (UperNet, Cascade Mask R-CNN 3x) do it."""
import re
from typing import Sequence

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from ..models.backbones import MetaFormer
from ..models.validation import check_number
from ..registry import OPTIM_WRAPPER_CONSTRUCTORS

DECAY_TYPES = ('layer_wise', 'stage_wise')


def layer_id(name: str, depths: Sequence[int], decay_type: str) -> int:
    """The layer of a parameter of our backbone, by its name there.

    ``'layer_wise'``: the stem is layer 0 and block ``j`` of stage ``i`` is
    layer ``1 + sum(depths[:i]) + j``; the downsampling into a stage and its
    position embedding go with its first block, its output norm with its
    last. ``'stage_wise'``: the stem is 0 and every part of stage ``i`` is
    ``i + 1``.
    """
    if name.startswith('downsample_layers.0.'):
        return 0
    for pattern, block in ((r'stages\.(\d+)\.(\d+)\.', None),
                           (r'(?:downsample_layers\.|pos_embed)(\d+)', 0),
                           (r'norm(\d+)\.', -1)):
        if m := re.match(pattern, name):
            stage = int(m.group(1))
            if decay_type == 'stage_wise':
                return stage + 1
            index = int(m.group(2)) if block is None \
                else block % depths[stage]
            return 1 + sum(depths[:stage]) + index
    raise ValueError(f'{name!r} is no parameter of a MetaFormer backbone')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Builds the optimizer with a learning rate per layer of the model's
    backbone (``model.backbone``, one of ours): layer ``k`` of ``L`` (the
    head and neck, everything outside the backbone, are ``L``) learns at
    ``lr * decay_rate ** (L - k)`` (:func:`layer_id` says which parameter is
    in which layer). Biases, norms, scales and position embeddings (every
    1-D parameter, and ``pos_embed*``) get no weight decay. Frozen
    parameters are left out. The groups are logged.

    ``paramwise_cfg``:
        decay_rate (float): In (0, 1]. Defaults to 1: no decay.
        decay_type (str): 'layer_wise' (a block a layer, the default) or
            'stage_wise' (a stage a layer).
    """

    def add_params(self, params: list, module: nn.Module, **kwargs) -> None:
        model = getattr(module, 'module', module)  # DDP, or not
        backbone = getattr(model, 'backbone', None)
        if not isinstance(backbone, MetaFormer):
            raise TypeError('LayerDecayOptimWrapperConstructor needs a model '
                            'whose backbone is one of mmpoolformer\'s, got '
                            f'{type(backbone).__name__}')
        rate = check_number('paramwise_cfg.decay_rate',
                            self.paramwise_cfg.get('decay_rate', 1.), 0, 1)
        decay_type = self.paramwise_cfg.get('decay_type', 'layer_wise')
        if rate == 0 or decay_type not in DECAY_TYPES:
            raise ValueError(f'paramwise_cfg needs decay_rate in (0, 1] and '
                             f'decay_type one of {DECAY_TYPES}, got '
                             f'{self.paramwise_cfg}')
        depths = [len(stage) for stage in backbone.stages]
        top = 1 + (sum(depths) if decay_type == 'layer_wise' else len(depths))
        groups = {}
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            layer = layer_id(name[len('backbone.'):], depths, decay_type) \
                if name.startswith('backbone.') else top
            no_decay = param.ndim == 1 or 'pos_embed' in name
            key = f'layer_{layer}_{"no_decay" if no_decay else "decay"}'
            if key not in groups:
                scale = rate**(top - layer)
                groups[key] = dict(params=[], lr=self.base_lr * scale,
                                   lr_scale=scale, group_name=key)
                if self.base_wd is not None:
                    groups[key]['weight_decay'] = \
                        0. if no_decay else self.base_wd
            groups[key]['params'].append(param)
        params.extend(groups.values())
        print_log(f'layer-wise lr decay ({decay_type}, rate {rate}): '
                  f'{len(groups)} groups, lr {self.base_lr * rate**top:.3g} '
                  f'(stem) to {self.base_lr:.3g} (head)', logger='current')
