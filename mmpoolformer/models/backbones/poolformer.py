"""PoolFormer, and the MetaFormer family it generalises, as a backbone."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

from mmpoolformer.checkpoint import load_pretrained_backbone
from mmpoolformer.registry import MODELS
from ..layers import (FusedPoolFormerBlock, MetaFormerBlock, PatchEmbed,
                      build_act, build_norm, build_token_mixer)

StrOrStages = Union[str, Sequence[str]]


class MetaFormerStage(nn.Module):
    """Optional downsampling followed by a sequence of MetaFormer blocks.

    Args:
        downsample (nn.Module, optional): Applied before the blocks.
        blocks (list[nn.Module]): The blocks.
    """

    def __init__(self, downsample: Optional[nn.Module],
                 blocks: List[nn.Module]) -> None:
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.Sequential(*blocks)


@MODELS.register_module()
class PoolFormer(BaseModule):
    """PoolFormer backbone with multi-scale outputs.

    Implements `MetaFormer is Actually What You Need for Vision
    <https://arxiv.org/abs/2111.11418>`_: a 7x7 stride-4 patch embedding,
    then four stages of MetaFormer blocks separated by 3x3 stride-2
    downsampling. Every stage can use another token mixer, norm or
    activation, which covers the paper's ablations and hybrid models, e.g.
    ``token_mixer=('pooling', 'pooling', 'attention', 'attention')``.

    Parameter names inside blocks follow the official code; official,
    mmpretrain and timm checkpoints load through ``init_cfg=dict(
    type='Pretrained', checkpoint=...)``, see
    :func:`mmpoolformer.checkpoint.convert_backbone_state_dict`.

    Args:
        arch (str | dict): One of ``PoolFormer.arch_settings`` or a dict with
            ``layers`` and ``embed_dims`` (one entry a stage) and optionally
            ``mlp_ratios`` and ``layer_scale_init_value``. Defaults to 's12'.
        in_channels (int): Input image channels. Defaults to 3.
        pool_size (int): Window of the pooling token mixer. Defaults to 3.
        token_mixer (str | Sequence[str]): 'pooling', 'attention',
            'spatial_mlp' or 'identity', for all stages or one a stage.
            Defaults to 'pooling'.
        norm (str | Sequence[str]): 'gn' (GroupNorm, one group), 'ln'
            (LayerNorm over channels) or 'bn', for all stages or one a stage.
            Defaults to 'gn'.
        act (str | Sequence[str]): 'gelu', 'relu' or 'silu', for all stages
            or one a stage. Defaults to 'gelu'.
        layer_scale_init_value (float, optional): Initial layer scale.
            Defaults to None, the arch's value.
        drop_rate (float): Dropout inside the MLPs. Defaults to 0.
        drop_path_rate (float): Drop path probability of the last block; it
            rises linearly from 0 over all blocks. Defaults to 0.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, each through a norm of its own; negative values count
            from the last stage. Stages after the last output are not built.
            Defaults to (0, 1, 2, 3).
        frozen_stages (int): -1 freezes nothing, 0 the patch embedding,
            ``i`` the patch embedding and the first ``i`` stages (with their
            downsampling and output norms). Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training.
            Defaults to False.
        with_cp (bool): Gradient checkpointing of every block, trading
            compute for memory. Defaults to False.
        channels_last (bool): Run in the channels-last memory format, which
            makes CPU (oneDNN) and GPU convolutions and pooling faster.
            Outputs are equal; they come back channels-last. Defaults to
            False.
        img_size (int | tuple[int, int]): Input size, used only by the
            'spatial_mlp' mixer, whose weights depend on it. Defaults to 224.
        pretrained (str, optional): Checkpoint path or URL, the same as
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``; mmseg
            segmentors pass their ``pretrained`` here. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    arch_settings = {
        's12': dict(layers=[2, 2, 6, 2], embed_dims=[64, 128, 320, 512],
                    layer_scale_init_value=1e-5),
        's24': dict(layers=[4, 4, 12, 4], embed_dims=[64, 128, 320, 512],
                    layer_scale_init_value=1e-5),
        's36': dict(layers=[6, 6, 18, 6], embed_dims=[64, 128, 320, 512],
                    layer_scale_init_value=1e-6),
        'm36': dict(layers=[6, 6, 18, 6], embed_dims=[96, 192, 384, 768],
                    layer_scale_init_value=1e-6),
        'm48': dict(layers=[8, 8, 24, 8], embed_dims=[96, 192, 384, 768],
                    layer_scale_init_value=1e-6),
    }

    def __init__(self,
                 arch: Union[str, Dict] = 's12',
                 in_channels: int = 3,
                 pool_size: int = 3,
                 token_mixer: StrOrStages = 'pooling',
                 norm: StrOrStages = 'gn',
                 act: StrOrStages = 'gelu',
                 layer_scale_init_value: Optional[float] = None,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 channels_last: bool = False,
                 img_size: Union[int, Tuple[int, int]] = 224,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError('give pretrained weights either as '
                                 '"pretrained" or in "init_cfg", not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        arch = self._parse_arch(arch)
        layers, embed_dims = arch['layers'], arch['embed_dims']
        num_stages = len(layers)
        mlp_ratios = arch.get('mlp_ratios', [4] * num_stages)
        if layer_scale_init_value is None:
            layer_scale_init_value = arch.get('layer_scale_init_value', 1e-5)
        mixers = self._per_stage(token_mixer, num_stages, 'token_mixer')
        norms = self._per_stage(norm, num_stages, 'norm')
        acts = self._per_stage(act, num_stages, 'act')
        self.embed_dims = list(embed_dims)
        self.num_stages = num_stages
        self.out_indices = self._parse_out_indices(out_indices, num_stages)
        if not -1 <= frozen_stages <= self.out_indices[-1] + 1:
            raise ValueError(
                f'frozen_stages must be in [-1, {self.out_indices[-1] + 1}] '
                f'for out_indices {self.out_indices}, got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.channels_last = channels_last
        self.fused = False
        img_h, img_w = (img_size, img_size) if isinstance(img_size, int) \
            else img_size

        self.patch_embed = PatchEmbed(
            in_channels, embed_dims[0], kernel_size=7, stride=4, padding=2)
        block_dprs = torch.linspace(0, drop_path_rate, sum(layers)).tolist()
        stages = []
        # Stages after the last output would hold parameters that never get
        # a gradient (an error under DDP), so they are not built.
        for i in range(self.out_indices[-1] + 1):
            stride = 4 * 2**i
            num_tokens = -(-img_h // stride) * -(-img_w // stride)
            downsample = None if i == 0 else PatchEmbed(
                embed_dims[i - 1], embed_dims[i], kernel_size=3, stride=2,
                padding=1)
            blocks = [
                MetaFormerBlock(
                    embed_dims[i],
                    token_mixer=build_token_mixer(mixers[i], embed_dims[i],
                                                  pool_size, num_tokens),
                    norm1=build_norm(norms[i], embed_dims[i]),
                    norm2=build_norm(norms[i], embed_dims[i]),
                    act=build_act(acts[i]),
                    mlp_ratio=mlp_ratios[i],
                    drop=drop_rate,
                    drop_path=block_dprs[sum(layers[:i]) + j],
                    layer_scale_init_value=layer_scale_init_value)
                for j in range(layers[i])
            ]
            stages.append(MetaFormerStage(downsample, blocks))
        self.stages = nn.ModuleList(stages)
        for i in self.out_indices:
            self.add_module(f'norm{i}', build_norm(norms[i], embed_dims[i]))
        self._freeze_stages()
        if channels_last:
            self.to(memory_format=torch.channels_last)

    @property
    def out_channels(self) -> List[int]:
        """Channels of each output, in output order."""
        return [self.embed_dims[i] for i in self.out_indices]

    @property
    def feature_info(self) -> List[Dict]:
        """Channels, stride and module name of each output, for necks."""
        return [
            dict(num_chs=self.embed_dims[i], reduction=4 * 2**i,
                 module=f'stages.{i}') for i in self.out_indices
        ]

    @classmethod
    def _parse_arch(cls, arch: Union[str, Dict]) -> Dict:
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_settings:
                raise ValueError(
                    f'unknown PoolFormer arch {arch!r}: choose one of '
                    f'{sorted(cls.arch_settings)} or pass a dict with '
                    f'"layers" and "embed_dims"')
            return cls.arch_settings[arch.lower()]
        if not isinstance(arch, dict) or not {'layers', 'embed_dims'} <= set(
                arch):
            raise ValueError('a custom arch must be a dict with "layers" and '
                             f'"embed_dims", got {arch!r}')
        if len(arch['layers']) != len(arch['embed_dims']):
            raise ValueError('"layers" and "embed_dims" need one entry a '
                             f'stage, got {arch!r}')
        return arch

    @staticmethod
    def _per_stage(value: StrOrStages, num_stages: int,
                   name: str) -> List[str]:
        if isinstance(value, str):
            return [value] * num_stages
        value = list(value)
        if len(value) != num_stages:
            raise ValueError(f'{name} needs one entry for each of the '
                             f'{num_stages} stages, got {value}')
        return value

    @staticmethod
    def _parse_out_indices(out_indices: Union[int, Sequence[int]],
                           num_stages: int) -> Tuple[int, ...]:
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        parsed = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(
                    f'out_indices must count the {num_stages} stages '
                    f'(from {-num_stages} to {num_stages - 1}), '
                    f'got {index} in {tuple(out_indices)}')
            parsed.append(index % num_stages)
        if len(set(parsed)) != len(parsed) or parsed != sorted(parsed):
            raise ValueError('out_indices must name increasing, distinct '
                             f'stages, got {tuple(out_indices)}')
        return tuple(parsed)

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        modules = [self.patch_embed]
        for i in range(self.frozen_stages):
            modules.append(self.stages[i])
            if i in self.out_indices:
                modules.append(getattr(self, f'norm{i}'))
        return modules

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'PoolFormer':
        """Sets the mode, keeping frozen stages (and BN with norm_eval) in
        eval mode."""
        if mode and self.fused:
            raise RuntimeError('a fused PoolFormer is for inference only: '
                               'build a new one to train')
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def init_weights(self) -> None:
        """Loads a pretrained checkpoint of any supported layout, or
        initialises as ``init_cfg`` says."""
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            load_pretrained_backbone(
                self, self.init_cfg['checkpoint'],
                prefix=self.init_cfg.get('prefix'))
            self._is_init = True
        else:
            super().init_weights()

    @torch.no_grad()
    def fuse(self) -> 'PoolFormer':
        """Folds norm affines and layer scales of every pooling block with
        GroupNorm into its convolutions, for inference; outputs stay equal
        (to float rounding). Other blocks are kept as they are.

        Returns:
            PoolFormer: ``self``, in eval mode and inference-only.
        """
        self.eval()
        for stage in self.stages:
            stage.blocks = nn.Sequential(*[
                FusedPoolFormerBlock.from_block(block)
                if FusedPoolFormerBlock.can_fuse(block) else block
                for block in stage.blocks
            ])
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        self.fused = True
        return self

    def _run_blocks(self, blocks: nn.Sequential,
                    x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            for block in blocks:
                x = checkpoint(block, x, use_reentrant=False)
            return x
        return blocks(x)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Returns the normed outputs of the stages in ``out_indices``."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.patch_embed(x)
        outs = []
        for i, stage in enumerate(self.stages):
            if stage.downsample is not None:
                x = stage.downsample(x)
            x = self._run_blocks(stage.blocks, x)
            if i in self.out_indices:
                outs.append(getattr(self, f'norm{i}')(x))
        return tuple(outs)
