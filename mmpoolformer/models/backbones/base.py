"""What every MetaFormer backbone here shares: outputs by stage, frozen
stages, BatchNorm in eval mode, inference-only fusing and pretrained
loading of the family's checkpoint layouts."""
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmpoolformer.checkpoint import Family, load_pretrained_backbone
from mmpoolformer.checkpoint.layouts import detect, has_our_names, to_ours


class MetaFormerBackbone(BaseModule):
    """The backbone contract of PoolFormer and the MetaFormer Baselines.

    A subclass checks its arguments, passes them here, lists the modules
    (and loose parameters) its frozen stages hold, and names its checkpoint
    family in ``checkpoint_family``.

    ``load_state_dict`` (and so mmengine's ``load_checkpoint``, ``load_from``
    and ``--resume``, which load through it, the backbone's keys under its
    prefix) takes a state dict of any layout of the family
    (:mod:`mmpoolformer.checkpoint.layouts`): a pre-hook renames its keys to
    ours, reshapes pointwise weights, makes a classifier's final norm the
    last stage's output norm and drops its head, before PyTorch matches the
    keys, strictly or not.

    Args:
        embed_dims (Sequence[int]): Channels of each stage.
        out_indices (tuple[int]): Stages whose outputs are returned.
        frozen_stages (int): Stages frozen (-1: none, 0: the stem).
        norm_eval (bool): Keep BatchNorm layers in eval mode while training.
        with_cp (bool): Gradient checkpointing of every block.
        channels_last (bool): Run in the channels-last memory format.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    checkpoint_family: Family

    def __init__(self, embed_dims: Sequence[int], out_indices: tuple,
                 frozen_stages: int, norm_eval: bool, with_cp: bool,
                 channels_last: bool,
                 init_cfg: Optional[Union[Dict, List[Dict]]]) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = list(embed_dims)
        self.num_stages = len(embed_dims)
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.channels_last = channels_last
        self.fused = False
        self.register_load_state_dict_pre_hook(_load_any_layout)

    @property
    def out_channels(self) -> List[int]:
        """Channels of each output, in output order."""
        return [self.embed_dims[i] for i in self.out_indices]

    def _frozen_modules(self) -> List[nn.Module]:
        """The modules of the frozen stages."""
        raise NotImplementedError

    def _frozen_parameters(self) -> List[nn.Parameter]:
        """Parameters of the frozen stages outside their modules."""
        return []

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False
        for param in self._frozen_parameters():
            param.requires_grad = False

    def train(self, mode: bool = True) -> 'MetaFormerBackbone':
        """Sets the mode, keeping frozen stages (and BN with norm_eval) in
        eval mode."""
        if mode and self.fused:
            raise RuntimeError(f'a fused {type(self).__name__} is for '
                               'inference only: build a new one to train')
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def init_weights(self) -> None:
        """Loads a pretrained checkpoint of any layout the family
        recognises, or initialises as ``init_cfg`` says."""
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            load_pretrained_backbone(
                self, self.init_cfg['checkpoint'],
                prefix=self.init_cfg.get('prefix'),
                keep_classifier_norm=self.init_cfg.get(
                    'keep_classifier_norm', False),
                family=self.checkpoint_family)
            self._is_init = True
        else:
            super().init_weights()


def _load_any_layout(backbone: MetaFormerBackbone, state_dict: dict,
                     prefix: str, *args) -> None:
    """A ``load_state_dict`` pre-hook: the backbone's keys of
    ``state_dict`` (under ``prefix``) in another layout of its family become
    ours, in place; weights of another family get an error message, which
    ``load_state_dict`` raises."""
    keys = [k for k in state_dict if k.startswith(prefix)]
    local = {k[len(prefix):]: state_dict[k] for k in keys}
    layout = detect(local)
    if layout is None:
        return
    family = backbone.checkpoint_family
    if layout.family is not family:
        error_msgs = args[-1]
        error_msgs.append(
            f'these are {layout.family.name} weights ({layout.name} '
            f'layout), not {family.name} weights')
        return
    if has_our_names(local, layout):
        return
    mapped = to_ours(local, layout)
    for key in keys:
        del state_dict[key]
    state_dict.update(
        {prefix + k: v for k, v in mapped.with_final_norm().items()})
    print_log(f'{family.name}: loading {len(local)} tensors of the '
              f'{layout.name} layout under our names'
              + (f', without the {len(mapped.head)} of its head'
                 if mapped.head else ''), logger='current')
