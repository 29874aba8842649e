"""The MetaFormer Baselines (PoolFormerV2, ConvFormer, CAFormer) as
backbones."""
from typing import (Callable, Dict, List, Optional, Sequence, Tuple,
                    Union)

import torch
import torch.nn as nn

from mmpoolformer.checkpoint import BASELINES
from mmpoolformer.registry import MODELS
from ..layers import (CHANNELS_LAST_MIXER_ALIASES, Attention, BaselineBlock,
                      Downsampling, LinearMlp, Pooling, SpatialMLP, build_act,
                      build_norm, build_token_mixer)
from ..layers.fuse_baseline import fuse_baseline_block
from ..validation import check_bool, check_int, check_list, check_number
from .arguments import (CfgOrStages, block_drop_path_rates,
                        check_frozen_stages, parse_init_cfg,
                        parse_out_indices, per_stage)
from .base import MetaFormerBackbone
from .poolformer import MetaFormerStage
from .stage_layers import DOWNSAMPLING, STEM, build_layer

# The official initialisation: every convolution and linear layer drawn
# from N(0, 0.02^2) cut at +-2, biases 0; norms and scales at 1 (and 0).
BASELINE_INIT_CFG = dict(
    type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.)
# The norm of the stem's output and of each downsampling's input.
DOWNSAMPLE_NORM_CFG = dict(type='LN', eps=1e-6, bias=False)
# LayerNorm without bias over the channels, ConvFormer's and CAFormer's norm.
LN_NO_BIAS = dict(type='LN', eps=1e-6, bias=False)


def _check_keeps_shape(what: str, build: Callable[[], nn.Module],
                       dim: int) -> None:
    """Refuses ``what`` if the layer ``build()`` makes does not run on
    channels-last (N, H, W, C) maps of ``dim`` channels (and of any size)
    or changes their shape: built and run on the meta device, which takes
    no memory and draws no random numbers (an op without a meta kernel
    leaves it unchecked)."""
    with torch.device('meta'):
        layer = build()
    x = torch.empty(1, dim + 1, dim + 2, dim, device='meta')
    try:
        out = layer.eval()(x)
    except NotImplementedError:
        return
    except Exception as error:
        raise ValueError(f'{what}: does not run on (N, H, W, C) maps: '
                         f'{error}') from error
    if out.shape != x.shape:
        raise ValueError(f'{what}: must keep the shape of (N, H, W, C) '
                         f'maps, but turns {tuple(x.shape)} into '
                         f'{tuple(out.shape)}')


# PoolFormer's mixers of (N, C, H, W) maps, and their channels-last
# counterparts here.
CHANNELS_FIRST_MIXERS = {
    Pooling: 'ChannelsLastPooling',
    Attention: 'ChannelsLastAttention',
    SpatialMLP: None,
}


def _build_mixer(stage: int, cfg: Union[str, Dict], dim: int) -> nn.Module:
    """The token mixer of a block of ``stage``, refused by name where its
    config does not build or where it is one of PoolFormer's mixers of
    (N, C, H, W) maps, which would run over the wrong dimensions here."""
    mixer = build_layer('token_mixer', stage, build_token_mixer, cfg,
                        aliases=CHANNELS_LAST_MIXER_ALIASES, dim=dim)
    if type(mixer) in CHANNELS_FIRST_MIXERS:
        counterpart = CHANNELS_FIRST_MIXERS[type(mixer)]
        hint = f': use {counterpart!r}' if counterpart else ''
        raise ValueError(
            f'token_mixer {cfg!r} (for stage {stage}) mixes (N, C, H, W) '
            f'maps, but these blocks work on channels-last (N, H, W, C) '
            f'maps{hint}')
    return mixer


class MetaFormerBaseline(MetaFormerBackbone):
    """A backbone of the MetaFormer Baselines family.

    Implements `MetaFormer Baselines for Vision
    <https://arxiv.org/abs/2210.13452>`_: a 7x7 stride-4 stem with a norm
    after it, then four stages of blocks, each after a norm and a 3x3
    stride-2 convolution. The blocks work on channels-last (N, H, W, C)
    maps, as the official code does, so that its linear layers load as they
    are. Blocks have StarReLU MLPs without biases, norms without biases
    and residual scales in the last two stages. The three families differ
    in their token mixers and norms (see the subclasses).

    Parameters carry the official names (sail-sg/metaformer):
    ``downsample_layers.{i}`` (``.pre_norm``, ``.conv``, ``.post_norm``),
    ``stages.{i}.{j}`` the blocks of stage ``i``, and ``norm{i}`` the norm of
    stage ``i``'s output. Official and timm checkpoints load through
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``.

    Args:
        arch (str | dict): One of the family's ``arch_settings`` or a dict
            with ``layers`` and ``embed_dims`` (positive ints, one a stage).
            Defaults to None: the family's smallest arch.
        in_channels (int): Input image channels. Defaults to 3.
        token_mixer (str | dict | Sequence, optional): The token mixer
            config, for all stages or one a stage, a mixer of channels-last
            maps: ``dict(type='ChannelsLastPooling')``,
            ``dict(type='SepConv')``, ``dict(type='ChannelsLastAttention',
            head_dim=32)``, ``dict(type='Identity')`` or their short names
            'pooling', 'sepconv', 'attention', 'identity'. Defaults to None:
            the family's.
        norm_cfg (str | dict | Sequence, optional): The blocks' norm config,
            for all stages or one a stage, a norm over the last dimension
            such as ``dict(type='LN', eps=1e-6, bias=False)`` or
            ``dict(type='PerSampleNorm')``. Defaults to None: the family's.
        downsample_norm_cfg (str | dict): The norm after the stem and before
            each downsampling. Defaults to
            ``dict(type='LN', eps=1e-6, bias=False)``.
        out_norm_cfg (str | dict, optional): The norm of each output, or
            None for none (a classifier normalises after pooling). Defaults
            to ``dict(type='LN', eps=1e-6)``, the classifier's final norm.
        act_cfg (str | dict): The MLP activation. Defaults to
            ``dict(type='StarReLU')``.
        layer_scale_init_value (float | Sequence, optional): Initial layer
            scale, for all stages or one a stage; None for none.
            Defaults to None.
        res_scale_init_value (float | Sequence, optional): Initial residual
            scale, the same way. Defaults to ``(None, None, 1., 1.)``.
        drop_rate (float): Dropout in the MLPs, in [0, 1). Defaults to 0.
        drop_path_rate (float): Drop path probability of the last block, in
            [0, 1); it rises linearly from 0 over all blocks. Defaults to 0.
        out_indices (int | Sequence[int]): Stages whose outputs are returned,
            each through a norm of its own; increasing and distinct,
            negative values count from the last stage. Stages after the last
            output are not built. Defaults to (0, 1, 2, 3).
        frozen_stages (int): -1 freezes nothing, 0 the stem, ``i`` the stem
            and the first ``i`` stages (with their downsampling and output
            norms). Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training,
            as other backbones take it; the norms here act on the channel
            dimension of channels-last maps and are never BatchNorm, so it
            changes nothing. Defaults to False.
        with_cp (bool): Gradient checkpointing of every block. Defaults to
            False.
        channels_last (bool): Give the stem a channels-last image and
            return channels-last outputs. Defaults to False: contiguous
            (N, C, H, W) outputs.
        pretrained (str, optional): Checkpoint path or URL, the same as
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``.
            Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            ``dict(type='Pretrained', checkpoint=...)`` loads an official,
            timm or our checkpoint; a classifier's final norm is skipped
            unless ``keep_classifier_norm=True``. ``[]`` keeps PyTorch's
            default. Defaults to None: :data:`BASELINE_INIT_CFG`.

    Raises:
        TypeError: an argument of the wrong type.
        ValueError: a value that is not allowed, or a layer config that
            does not build or does not keep a stage's shape.
    """

    arch_settings: Dict[str, Dict] = {}
    checkpoint_family = BASELINES
    default_arch: str = ''
    default_token_mixer: CfgOrStages = 'identity'
    default_norm_cfg: CfgOrStages = LN_NO_BIAS

    def __init__(self,
                 arch: Optional[Union[str, Dict]] = None,
                 in_channels: int = 3,
                 token_mixer: Optional[CfgOrStages] = None,
                 norm_cfg: Optional[CfgOrStages] = None,
                 downsample_norm_cfg: Union[str, Dict] = DOWNSAMPLE_NORM_CFG,
                 out_norm_cfg: Optional[Union[str, Dict]] = dict(
                     type='LN', eps=1e-6),
                 act_cfg: Union[str, Dict] = dict(type='StarReLU'),
                 layer_scale_init_value: Optional[Union[
                     float, Sequence[Optional[float]]]] = None,
                 res_scale_init_value: Optional[Union[
                     float, Sequence[Optional[float]]]] = (None, None, 1., 1.),
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 channels_last: bool = False,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        layers, embed_dims = self._parse_arch(
            self.default_arch if arch is None else arch)
        num_stages = len(layers)
        check_int('in_channels', in_channels, minimum=1)
        mixers = per_stage(
            self.default_token_mixer if token_mixer is None else token_mixer,
            num_stages, 'token_mixer')
        norms = per_stage(self.default_norm_cfg if norm_cfg is None
                          else norm_cfg, num_stages, 'norm_cfg')
        layer_scales = self._per_stage_value(layer_scale_init_value,
                                             num_stages,
                                             'layer_scale_init_value')
        res_scales = self._per_stage_value(res_scale_init_value, num_stages,
                                           'res_scale_init_value')
        check_number('drop_rate', drop_rate, 0, 1, high_open=True)
        block_dprs = block_drop_path_rates(drop_path_rate, sum(layers))
        out_indices = parse_out_indices(out_indices, num_stages)
        check_frozen_stages(frozen_stages, out_indices)
        check_bool('norm_eval', norm_eval)
        check_bool('with_cp', with_cp)
        check_bool('channels_last', channels_last)
        super().__init__(
            embed_dims, out_indices, frozen_stages, norm_eval, with_cp,
            channels_last,
            parse_init_cfg(pretrained, init_cfg, BASELINE_INIT_CFG))
        stage_cfgs = [
            dict(
                dim=embed_dims[i],
                token_mixer=mixers[i],
                norm_cfg=norms[i],
                act_cfg=act_cfg,
                drop=drop_rate,
                layer_scale_init_value=layer_scales[i],
                res_scale_init_value=res_scales[i]) for i in range(num_stages)
        ]
        # Stages that will not be built are checked too.
        for i, stage_cfg in enumerate(stage_cfgs):
            self._check_stage(i, stage_cfg)
            self._check_norm('downsample_norm_cfg', i, downsample_norm_cfg,
                             embed_dims[max(i - 1, 0)])
            if out_norm_cfg is not None:
                self._check_norm('out_norm_cfg', i, out_norm_cfg,
                                 embed_dims[i])

        downsamples, stages = [], []
        # Stages after the last output would hold parameters that never get
        # a gradient (an error under DDP), so they are not built.
        for i in range(out_indices[-1] + 1):
            downsamples.append(
                self._build_downsampling(i, in_channels, embed_dims,
                                         downsample_norm_cfg))
            first = sum(layers[:i])
            stages.append(
                MetaFormerStage([
                    self._build_block(
                        i, drop_path=block_dprs[first + j], **stage_cfgs[i])
                    for j in range(layers[i])
                ], with_cp))
        self.downsample_layers = nn.ModuleList(downsamples)
        self.stages = nn.ModuleList(stages)
        for i in out_indices:
            self.add_module(
                f'norm{i}', nn.Identity() if out_norm_cfg is None else
                build_layer('out_norm_cfg', i, build_norm, out_norm_cfg,
                            num_channels=embed_dims[i]))
        self._freeze_stages()

    @classmethod
    def _parse_arch(cls, arch: Union[str, Dict]) -> Tuple[List, List]:
        """The arch's blocks and channels a stage, checked."""
        name = cls.__name__
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_settings:
                raise ValueError(
                    f'unknown {name} arch {arch!r}: choose one of '
                    f'{sorted(cls.arch_settings)} or pass a dict with '
                    f'"layers" and "embed_dims"')
            arch = cls.arch_settings[arch.lower()]
        allowed = (f'one of {sorted(cls.arch_settings)} or a dict with the '
                   f'keys "layers" and "embed_dims"')
        if not isinstance(arch, dict):
            raise TypeError(f'arch must be {allowed}, got {arch!r}')
        if set(arch) != {'layers', 'embed_dims'}:
            raise ValueError(f'arch must be {allowed}, got {arch!r}')
        layers = [
            check_int(f'arch["layers"][{i}]', n, minimum=1)
            for i, n in enumerate(check_list('arch["layers"]', arch['layers']))
        ]
        embed_dims = [
            check_int(f'arch["embed_dims"][{i}]', dim, minimum=1)
            for i, dim in enumerate(
                check_list('arch["embed_dims"]', arch['embed_dims'],
                           len(layers)))
        ]
        return layers, embed_dims

    @staticmethod
    def _per_stage_value(value, num_stages: int,
                         name: str) -> List[Optional[float]]:
        """A scale's initial value for each stage (None for no scale)."""
        values = list(value) if isinstance(value, (list, tuple)) \
            else [value] * num_stages
        if len(values) != num_stages:
            raise ValueError(f'{name} needs a value (or None) for each of '
                             f'the {num_stages} stages, got {value!r}')
        return [
            None if v is None else check_number(f'{name}[{i}]', v)
            for i, v in enumerate(values)
        ]

    @staticmethod
    def _build_downsampling(stage: int, in_channels: int,
                            embed_dims: List[int],
                            norm_cfg: Union[str, Dict]) -> Downsampling:
        """The stem (stage 0) or the downsampling into ``stage``."""
        if stage == 0:
            return Downsampling(
                in_channels,
                embed_dims[0],
                *STEM,
                post_norm=build_layer('downsample_norm_cfg', 0, build_norm,
                                      norm_cfg, num_channels=embed_dims[0]))
        return Downsampling(
            embed_dims[stage - 1],
            embed_dims[stage],
            *DOWNSAMPLING,
            pre_norm=build_layer(
                'downsample_norm_cfg', stage, build_norm, norm_cfg,
                num_channels=embed_dims[stage - 1]))

    @staticmethod
    def _build_block(stage: int, dim: int, token_mixer: Union[str, Dict],
                     norm_cfg: Union[str, Dict], act_cfg: Union[str, Dict],
                     drop: float, drop_path: float = 0.,
                     **scales) -> BaselineBlock:
        """A block of ``stage``; a config that does not build is refused by
        the argument it came from."""
        return BaselineBlock(
            dim,
            token_mixer=_build_mixer(stage, token_mixer, dim),
            norm1=build_layer(
                'norm_cfg', stage, build_norm, norm_cfg, num_channels=dim),
            norm2=build_layer(
                'norm_cfg', stage, build_norm, norm_cfg, num_channels=dim),
            mlp=LinearMlp(
                dim, 4 * dim, build_layer('act_cfg', stage, build_act,
                                          act_cfg), drop),
            drop_path=drop_path,
            **scales)

    def _check_stage(self, stage: int, stage_cfg: Dict) -> None:
        """Refuses a stage whose block does not build, or does not keep the
        shape of its channels-last maps."""
        dim = stage_cfg['dim']
        self._check_norm('norm_cfg', stage, stage_cfg['norm_cfg'], dim)
        _check_keeps_shape(
            f'token_mixer {stage_cfg["token_mixer"]!r} (for stage {stage})',
            lambda: _build_mixer(stage, stage_cfg['token_mixer'], dim), dim)
        _check_keeps_shape(
            f'the layers of stage {stage} (token_mixer '
            f'{stage_cfg["token_mixer"]!r}, norm_cfg '
            f'{stage_cfg["norm_cfg"]!r}, act_cfg {stage_cfg["act_cfg"]!r})',
            lambda: self._build_block(stage, **stage_cfg), dim)

    @staticmethod
    def _check_norm(argument: str, stage: int, cfg: Union[str, Dict],
                    dim: int) -> None:
        """Refuses a norm config of ``stage`` (its blocks', downsampling's
        or output's) that does not build, or whose norm does not keep the
        shape of channels-last maps of ``dim`` channels."""
        _check_keeps_shape(
            f'{argument} {cfg!r} (for stage {stage}; a norm of (N, H, W, C) '
            f'maps over the last dimension, such as {LN_NO_BIAS}, not one of '
            f'(N, C, H, W) maps such as BN, GN or LN2d)',
            lambda: build_layer(argument, stage, build_norm, cfg,
                                num_channels=dim), dim)

    def output_norm(self, stage: int) -> nn.Module:
        """The norm of stage ``stage``'s output (``norm{stage}``)."""
        return getattr(self, f'norm{stage}')

    @property
    def feature_info(self) -> List[Dict]:
        """Channels, stride and module name of each output, for necks."""
        return [
            dict(num_chs=self.embed_dims[i], reduction=4 * 2**i,
                 module=f'stages.{i}') for i in self.out_indices
        ]

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        modules = [self.downsample_layers[0]]
        for i in range(self.frozen_stages):
            modules += [self.downsample_layers[i], self.stages[i]]
            if i in self.out_indices:
                modules.append(self.output_norm(i))
        return modules

    @torch.no_grad()
    def fuse(self) -> 'MetaFormerBaseline':
        """Fuses, for inference, each block: the MLP's StarReLU scale and
        bias fold into its ``fc2``, PerSampleNorm weights into the linear
        layer after them, and the activations of the MLP and the separable
        convolution run in place without autograd (see
        :mod:`~mmpoolformer.models.layers.fuse_baseline`, which also says
        what does not fold). Outputs stay equal (to float rounding).

        Returns:
            MetaFormerBaseline: ``self``, in eval mode and inference-only.
        """
        self.eval()
        for stage in self.stages:
            for block in stage:
                fuse_baseline_block(block)
        self.fused = True
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Returns the normed (N, C, H, W) outputs of the stages in
        ``out_indices``."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        for i, (downsample, stage) in enumerate(
                zip(self.downsample_layers, self.stages)):
            x = stage(downsample(x))
            if i in self.out_indices:
                out = self.output_norm(i)(x).permute(0, 3, 1, 2)
                outs.append(out if self.channels_last else out.contiguous())
        return tuple(outs)


@MODELS.register_module()
class PoolFormerV2(MetaFormerBaseline):
    """PoolFormerV2: PoolFormer's pooling mixer (3x3) in the MetaFormer
    Baselines' block, with one-group norms without bias
    (``dict(type='PerSampleNorm')``). See :class:`MetaFormerBaseline` for
    the arguments; ``arch`` is one of 's12', 's24', 's36', 'm36', 'm48'
    (default 's12')."""

    arch_settings = {
        's12': dict(layers=[2, 2, 6, 2], embed_dims=[64, 128, 320, 512]),
        's24': dict(layers=[4, 4, 12, 4], embed_dims=[64, 128, 320, 512]),
        's36': dict(layers=[6, 6, 18, 6], embed_dims=[64, 128, 320, 512]),
        'm36': dict(layers=[6, 6, 18, 6], embed_dims=[96, 192, 384, 768]),
        'm48': dict(layers=[8, 8, 24, 8], embed_dims=[96, 192, 384, 768]),
    }
    default_arch = 's12'
    default_token_mixer = dict(type='ChannelsLastPooling', pool_size=3)
    default_norm_cfg = dict(type='PerSampleNorm', eps=1e-6)


# ConvFormer's and CAFormer's archs.
SEPCONV_ARCHS = {
    's18': dict(layers=[3, 3, 9, 3], embed_dims=[64, 128, 320, 512]),
    's36': dict(layers=[3, 12, 18, 3], embed_dims=[64, 128, 320, 512]),
    'm36': dict(layers=[3, 12, 18, 3], embed_dims=[96, 192, 384, 576]),
    'b36': dict(layers=[3, 12, 18, 3], embed_dims=[128, 256, 512, 768]),
}


@MODELS.register_module()
class ConvFormer(MetaFormerBaseline):
    """ConvFormer: the separable-convolution mixer (expansion 2, 7x7
    depthwise, StarReLU) in every stage, LayerNorms without bias. See
    :class:`MetaFormerBaseline` for the arguments; ``arch`` is one of 's18',
    's36', 'm36', 'b36' (default 's18')."""

    arch_settings = SEPCONV_ARCHS
    default_arch = 's18'
    default_token_mixer = dict(type='SepConv')


@MODELS.register_module()
class CAFormer(MetaFormerBaseline):
    """CAFormer: separable convolutions in the first two stages, attention
    (head_dim 32, over all positions of a map of any size) in the last two,
    LayerNorms without bias. See :class:`MetaFormerBaseline` for the
    arguments; ``arch`` is one of 's18', 's36', 'm36', 'b36' (default
    's18')."""

    arch_settings = SEPCONV_ARCHS
    default_arch = 's18'
    default_token_mixer = (dict(type='SepConv'), dict(type='SepConv'),
                           dict(type='ChannelsLastAttention', head_dim=32),
                           dict(type='ChannelsLastAttention', head_dim=32))
