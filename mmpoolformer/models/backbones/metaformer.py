"""The MetaFormer backbone of PoolFormer (its hybrids and ablations too)
and the MetaFormer Baselines: one model, a registered subclass a family."""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmpoolformer.checkpoint import (BASELINES, POOLFORMER, Family,
                                     convert_on_load, load_pretrained_backbone)
from mmpoolformer.registry import MODELS
from ..layers import (Downsampling, MetaFormerBlock, MetaFormerStage, Mlp,
                      add_pos_embed, build_act, build_norm, build_token_mixer)
from ..layers.fuse import fuse_block
from ..validation import check_bool, check_int, check_number, check_odd_size
from .arguments import (CfgOrStages, block_drop_path_rates,
                        check_frozen_stages, optional_number, parse_arch,
                        parse_img_size, parse_init_cfg, parse_out_indices,
                        per_stage)

# The stem's and the downsampling's (kernel, stride, padding).
STEM = (7, 4, 2)
DOWNSAMPLING = (3, 2, 1)
# The smallest side the stem's kernel takes.
MIN_IMG_SIZE = STEM[0] - 2 * STEM[2]

# The official initialisations of these layers (others keep PyTorch's):
# weights N(0, 0.02^2) cut at +-2, biases 0.
OFFICIAL_INIT_CFG = dict(
    type='TruncNormal', layer=['PointwiseConv2d', 'Linear'], std=.02, bias=0.)
BASELINE_INIT_CFG = dict(
    type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.)
# ConvFormer's and CAFormer's norm, and the Baselines' around downsampling.
LN_NO_BIAS = dict(type='LN', eps=1e-6, bias=False)


def stage_sizes(img_size: Tuple[int, int],
                num_stages: int) -> List[Tuple[int, int]]:
    """The (H, W) of each stage's feature map for an ``img_size`` input."""
    sizes, size, conv = [], img_size, STEM
    for _ in range(num_stages):
        kernel, stride, padding = conv
        size = tuple((n + 2 * padding - kernel) // stride + 1 for n in size)
        sizes.append(size)
        conv = DOWNSAMPLING
    return sizes


def build_layer(argument: str, stage: int, build: Callable[..., nn.Module],
                cfg: Union[str, Dict], **kwargs) -> nn.Module:
    """``build(cfg, **kwargs)``; an error of the constructor becomes a
    ValueError (or TypeError) naming the argument, the stage and ``cfg``."""
    try:
        return build(cfg, **kwargs)
    except Exception as error:
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f'{argument} {cfg!r} cannot be built for stage {stage}: '
                   f'{error}') from error


class MetaFormer(BaseModule):
    """A MetaFormer backbone: a 7x7 stride-4 stem, then stages of
    :class:`~mmpoolformer.models.layers.MetaFormerBlock`, each after a 3x3
    stride-2 downsampling; the outputs of ``out_indices``.

    Build it through a family (:class:`PoolFormer`, :class:`PoolFormerV2`,
    :class:`ConvFormer`, :class:`CAFormer`), which turns its own arguments
    into ``stage_cfgs``. ``nhwc``: the blocks see the Baselines' (N, H, W,
    C) maps with linear MLPs, else PoolFormer's (N, C, H, W) maps with 1x1
    convolutions. Parameters carry the official Baselines' names
    (``downsample_layers.{i}.{pre_norm,conv,post_norm}``,
    ``stages.{i}.{j}``, output norms ``norm{i}``, ``pos_embed{i}``); a
    ``load_state_dict`` pre-hook converts any layout of the family
    (:mod:`mmpoolformer.checkpoint.layouts`) to them.

    Args:
        stage_cfgs (list[dict]): Each stage's ``depth``, ``dim``,
            ``mlp_ratio``, ``token_mixer``, ``norm_cfg``, ``act_cfg``,
            ``out_norm_cfg`` (None: none), ``layer_scale`` and
            ``res_scale`` (initial values, None: none).
        downsample_norm_cfg (str | dict, optional): The norm after the stem
            and before each downsampling. Defaults to None: none.
        in_channels (int): Input channels. Defaults to 3.
        pool_size (int): Window of the pooling mixers whose config sets
            none, odd. Defaults to 3.
        drop_rate (float): Dropout in the MLPs, in [0, 1). Defaults to 0.
        drop_path_rate (float): Drop path of the last block, in [0, 1),
            rising linearly from 0 over the blocks. Defaults to 0.
        out_indices (int | Sequence[int]): Increasing stages whose outputs
            are returned, each through a norm; negative ones count from the
            end. Later stages are not built. Defaults to (0, 1, 2, 3).
        frozen_stages (int): -1 freezes nothing, 0 the stem, ``i`` the
            first ``i`` stages too (with their downsampling, position
            embeddings and output norms), up to the last output's stage
            plus one. Defaults to -1.
        norm_eval (bool): Keep BatchNorms in eval mode while training.
            Defaults to False.
        with_cp (bool): Checkpoint every block. Defaults to False.
        channels_last (bool): Run in the channels-last memory format
            (faster with oneDNN and on GPU); outputs stay contiguous.
            Defaults to False.
        img_size (int | tuple[int, int]): Input (H, W), at least 3, for the
            spatial MLPs (which take only this size) and position
            embeddings. Defaults to 224.
        pos_embed (bool | Sequence[bool]): A learnable position embedding
            (zeros, resized bicubically for other sizes) before the blocks,
            for all stages or one a stage. Defaults to False.
        pretrained (str, optional): Checkpoint path or URL, as
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``.
            Defaults to None.
        init_cfg (dict | list[dict], optional): Replaces the family's
            ``default_init_cfg`` (``[]``: PyTorch's). ``Pretrained`` loads
            any layout of the family (``prefix``: only its keys) without a
            classifier's final norm unless ``keep_classifier_norm=True``.
            Defaults to None.

    Raises:
        TypeError: An argument of the wrong type (``bool`` is no int).
        ValueError: A value not allowed, or a layer config that does not
            build or keep its stage's shape (checked on the meta device,
            for every stage). Both name the argument and what is allowed.
    """

    checkpoint_family: Family
    nhwc: bool
    mlp_bias: bool
    default_init_cfg: Dict

    def __init__(self,
                 stage_cfgs: List[Dict],
                 downsample_norm_cfg: Optional[Union[str, Dict]] = None,
                 in_channels: int = 3,
                 pool_size: int = 3,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 channels_last: bool = False,
                 img_size: Union[int, Tuple[int, int]] = 224,
                 pos_embed: Union[bool, Sequence[bool]] = False,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        num_stages = len(stage_cfgs)
        check_int('in_channels', in_channels, minimum=1)
        check_odd_size('pool_size', pool_size)
        check_number('drop_rate', drop_rate, 0, 1, high_open=True)
        block_dprs = block_drop_path_rates(
            drop_path_rate, sum(cfg['depth'] for cfg in stage_cfgs))
        out_indices = parse_out_indices(out_indices, num_stages)
        check_frozen_stages(frozen_stages, out_indices)
        check_bool('norm_eval', norm_eval)
        check_bool('with_cp', with_cp)
        check_bool('channels_last', channels_last)
        sizes = stage_sizes(parse_img_size(img_size, MIN_IMG_SIZE),
                            num_stages)
        pos_embeds = per_stage('pos_embed', pos_embed, num_stages, check_bool)
        init_cfg = parse_init_cfg(pretrained, init_cfg, self.default_init_cfg)
        stage_cfgs = [
            dict(cfg, size=size) for cfg, size in zip(stage_cfgs, sizes)
        ]
        for i, cfg in enumerate(stage_cfgs):  # built or not
            self._check_layers(i, cfg, pool_size, downsample_norm_cfg,
                               stage_cfgs[max(i - 1, 0)]['dim'])
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = [cfg['dim'] for cfg in stage_cfgs]
        self.num_stages = num_stages
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.channels_last = channels_last
        self.fused = False

        downsamples, stages = [], []
        # Stages after the last output would hold parameters that never get
        # a gradient (an error under DDP), so they are not built.
        for i in range(out_indices[-1] + 1):
            cfg = stage_cfgs[i]
            downsamples.append(
                self._build_downsampling(i, in_channels, stage_cfgs,
                                         downsample_norm_cfg))
            first = sum(c['depth'] for c in stage_cfgs[:i])
            stages.append(
                MetaFormerStage([
                    self._build_block(i, cfg, pool_size, drop_rate,
                                      block_dprs[first + j])
                    for j in range(cfg['depth'])
                ], with_cp))
            if pos_embeds[i]:
                self.register_parameter(
                    f'pos_embed{i}',
                    nn.Parameter(torch.zeros(1, cfg['dim'], *cfg['size'])))
        self.downsample_layers = nn.ModuleList(downsamples)
        self.stages = nn.ModuleList(stages)
        for i in out_indices:
            norm_cfg = stage_cfgs[i]['out_norm_cfg']
            self.add_module(
                f'norm{i}', nn.Identity() if norm_cfg is None else
                build_layer('out_norm_cfg', i, build_norm, norm_cfg,
                            num_channels=self.embed_dims[i]))
        self._freeze_stages()
        if channels_last:
            self.to(memory_format=torch.channels_last)
        self.register_load_state_dict_pre_hook(convert_on_load)

    @property
    def out_channels(self) -> List[int]:
        """Channels of each output, in output order."""
        return [self.embed_dims[i] for i in self.out_indices]

    @property
    def feature_info(self) -> List[Dict]:
        """Channels, stride and module of each output, for necks."""
        return [
            dict(num_chs=self.embed_dims[i], reduction=4 * 2**i,
                 module=f'stages.{i}') for i in self.out_indices
        ]

    def output_norm(self, stage: int) -> nn.Module:
        """The norm of stage ``stage``'s output (``norm{stage}``)."""
        return getattr(self, f'norm{stage}')

    def position_embedding(self, stage: int) -> Optional[nn.Parameter]:
        """``pos_embed{stage}``, or None where it has none."""
        return getattr(self, f'pos_embed{stage}', None)

    def _build_mixer(self, stage: int, cfg: Dict,
                     pool_size: int) -> nn.Module:
        """The token mixer of a block of ``stage``."""
        size = cfg['size']
        return build_layer('token_mixer', stage, build_token_mixer,
                           cfg['token_mixer'], dim=cfg['dim'],
                           num_tokens=size[0] * size[1], pool_size=pool_size,
                           nhwc=self.nhwc)

    def _check_layers(self, stage: int, cfg: Dict, pool_size: int,
                      downsample_norm_cfg: Optional[Union[str, Dict]],
                      downsample_dim: int) -> None:
        """Refuses, by argument, each layer config of ``stage`` that
        :meth:`_check_layer` refuses; the token mixer runs on the stage's
        map at ``img_size`` (a spatial MLP takes no other)."""
        dim = cfg['dim']
        self._check_layer('token_mixer', stage, cfg['token_mixer'], dim,
                          lambda: self._build_mixer(stage, cfg, pool_size),
                          cfg['size'])
        self._check_layer('norm_cfg', stage, cfg['norm_cfg'], dim)
        self._check_layer(
            'act_cfg', stage, cfg['act_cfg'], dim,
            lambda: build_layer('act_cfg', stage, build_act, cfg['act_cfg']))
        if cfg['out_norm_cfg'] not in (None, cfg['norm_cfg']):
            self._check_layer('out_norm_cfg', stage, cfg['out_norm_cfg'], dim)
        if downsample_norm_cfg is not None:
            self._check_layer('downsample_norm_cfg', stage,
                              downsample_norm_cfg, downsample_dim)

    def _check_layer(self,
                     argument: str,
                     stage: int,
                     cfg: Union[str, Dict],
                     dim: int,
                     build: Optional[Callable[[], nn.Module]] = None,
                     size: Optional[Tuple[int, int]] = None) -> None:
        """Refuses ``cfg`` by ``argument`` where its layer
        (``build()``, by default a norm of ``dim`` channels) does not build
        or does not keep the shape of the blocks' maps (mmcv's ``LN``
        normalises the W of (N, C, H, W) maps, ``BN`` the H of (N, H, W, C)
        ones). It runs in eval mode on the meta device (no memory, no random
        numbers; an op without a meta kernel goes unchecked), on a map of
        ``size``, else one whose sides differ from the channels and each
        other."""
        with torch.device('meta'):
            layer = build() if build else build_layer(
                argument, stage, build_norm, cfg, num_channels=dim)
        size = size or (dim + 1, dim + 2)
        x = torch.empty((1, *size, dim) if self.nhwc else (1, dim, *size),
                        device='meta')
        maps = (f'stage {stage}\'s '
                f'{"(N, H, W, C)" if self.nhwc else "(N, C, H, W)"} '
                'feature maps')
        if self.nhwc and argument.endswith('norm_cfg'):
            maps += (f' (a norm over the last dimension, such as '
                     f'{LN_NO_BIAS}, not one of (N, C, H, W) maps such as '
                     'BN, GN or LN2d)')
        try:
            out = layer.eval()(x)
        except NotImplementedError:
            return
        except Exception as error:
            raise ValueError(f'{argument} {cfg!r} does not run on {maps}: '
                             f'{error}') from error
        if not isinstance(out, torch.Tensor) or out.shape != x.shape:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) \
                else type(out).__name__
            raise ValueError(
                f'{argument} {cfg!r} must keep the shape of {maps}, but '
                f'turns {tuple(x.shape)} into {got}')

    def _build_downsampling(self, stage: int, in_channels: int,
                            stage_cfgs: List[Dict],
                            norm_cfg: Optional[Union[str, Dict]]
                            ) -> Downsampling:
        """The stem (norm after) or the downsampling into ``stage`` (norm
        before)."""
        dim = stage_cfgs[stage]['dim']
        in_dim = stage_cfgs[stage - 1]['dim'] if stage else in_channels
        norm = None if norm_cfg is None else build_layer(
            'downsample_norm_cfg', stage, build_norm, norm_cfg,
            num_channels=in_dim if stage else dim)
        return Downsampling(
            in_dim, dim, *(DOWNSAMPLING if stage else STEM),
            pre_norm=norm if stage else None,
            post_norm=None if stage else norm,
            nhwc_in=self.nhwc and stage > 0, nhwc_out=self.nhwc)

    def _build_block(self, stage: int, cfg: Dict, pool_size: int,
                     drop: float, drop_path: float) -> MetaFormerBlock:
        """A block of ``stage``."""
        dim = cfg['dim']

        def norm() -> nn.Module:
            return build_layer('norm_cfg', stage, build_norm, cfg['norm_cfg'],
                               num_channels=dim)

        act = build_layer('act_cfg', stage, build_act, cfg['act_cfg'])
        return MetaFormerBlock(
            dim,
            token_mixer=self._build_mixer(stage, cfg, pool_size),
            norm1=norm(),
            norm2=norm(),
            mlp=Mlp(dim, int(dim * cfg['mlp_ratio']), act, drop,
                    self.mlp_bias, self.nhwc),
            drop_path=drop_path,
            layer_scale_init_value=cfg['layer_scale'],
            res_scale_init_value=cfg['res_scale'],
            nhwc=self.nhwc)

    def _freeze_stages(self) -> None:
        """Puts the frozen modules in eval mode without gradients."""
        frozen = self.frozen_stages
        if frozen < 0:
            return
        for module in [*self.downsample_layers[:max(frozen, 1)],
                       *self.stages[:frozen],
                       *(self.output_norm(i) for i in self.out_indices
                         if i < frozen)]:
            module.eval().requires_grad_(False)
        for i in range(frozen):
            embed = self.position_embedding(i)
            if embed is not None:
                embed.requires_grad = False

    def train(self, mode: bool = True) -> 'MetaFormer':
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
        """Loads a checkpoint of any layout of the family, or initialises
        as ``init_cfg`` says."""
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

    @torch.no_grad()
    def fuse(self) -> 'MetaFormer':
        """Fuses every block for inference, outputs equal to float rounding
        (:func:`~mmpoolformer.models.layers.fuse.fuse_block`); returns
        ``self``, in eval mode and inference-only."""
        self.eval()
        for stage in self.stages:
            for j, block in enumerate(stage):
                stage[j] = fuse_block(block)
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
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
            x = downsample(x)
            embed = self.position_embedding(i)
            if embed is not None:
                x = add_pos_embed(x, embed, self.nhwc)
            x = stage(x)
            if i in self.out_indices:
                out = self.output_norm(i)(x)
                if self.nhwc:
                    out = out.permute(0, 3, 1, 2)
                # Contiguous: mmcv's RoIAlign misreads channels-last maps.
                outs.append(out.contiguous())
        return tuple(outs)


@MODELS.register_module()
class PoolFormer(MetaFormer):
    """PoolFormer (`MetaFormer is Actually What You Need for Vision
    <https://arxiv.org/abs/2111.11418>`_): (N, C, H, W) blocks with layer
    scales and 1x1-convolution MLPs, no norms around the downsampling. Each
    stage may take its own token mixer, norm or activation: the paper's
    hybrids, e.g. ``token_mixer=('pooling', 'pooling', 'attention',
    'attention')``.

    Args:
        arch (str | dict): One of ``arch_settings`` or a dict with
            ``layers`` and ``embed_dims`` (one a stage) and optionally
            ``mlp_ratios`` (4) and ``layer_scale_init_value`` (1e-5).
            Defaults to 's12'.
        token_mixer (str | dict | Sequence): For all stages or one a stage:
            a config or 'pooling', 'attention', 'spatial_mlp', 'sepconv',
            'identity'. Defaults to 'pooling'.
        norm_cfg (str | dict | Sequence): The blocks' and outputs' norm, the
            same way: a config (e.g. ``dict(type='SyncBN')``) or 'gn', 'ln',
            'bn'. Defaults to ``dict(type='GN', num_groups=1)``.
        act_cfg (str | dict | Sequence): The MLP activation, the same way:
            a config or 'gelu', 'relu', 'silu'. Defaults to
            ``dict(type='GELU')``.
        layer_scale_init_value (float, optional): The initial layer scale.
            Defaults to None: the arch's.
        **kwargs: The arguments of :class:`MetaFormer`.
    """

    checkpoint_family = POOLFORMER
    nhwc = False
    mlp_bias = True
    default_init_cfg = OFFICIAL_INIT_CFG
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
                 token_mixer: CfgOrStages = 'pooling',
                 norm_cfg: CfgOrStages = dict(type='GN', num_groups=1),
                 act_cfg: CfgOrStages = dict(type='GELU'),
                 layer_scale_init_value: Optional[float] = None,
                 **kwargs: Any) -> None:
        arch = parse_arch(
            arch, self.arch_settings, 'PoolFormer',
            dict(mlp_ratios=None, layer_scale_init_value=1e-5))
        num_stages = len(arch['layers'])
        if layer_scale_init_value is None:
            layer_scale_init_value = arch['layer_scale_init_value']
        check_number('layer_scale_init_value', layer_scale_init_value)
        stage_cfgs = [
            dict(depth=depth, dim=dim, mlp_ratio=ratio, token_mixer=mixer,
                 norm_cfg=norm, act_cfg=act, out_norm_cfg=norm,
                 layer_scale=layer_scale_init_value, res_scale=None)
            for depth, dim, ratio, mixer, norm, act in zip(
                arch['layers'], arch['embed_dims'], arch['mlp_ratios'],
                per_stage('token_mixer', token_mixer, num_stages),
                per_stage('norm_cfg', norm_cfg, num_stages),
                per_stage('act_cfg', act_cfg, num_stages))
        ]
        super().__init__(stage_cfgs, **kwargs)


class MetaFormerBaseline(MetaFormer):
    """A backbone of `MetaFormer Baselines for Vision
    <https://arxiv.org/abs/2210.13452>`_: a norm after the stem and before
    each downsampling, (N, H, W, C) blocks as the official code has them,
    StarReLU MLPs, norms without biases, residual scales in the last two
    stages. The families differ in their token mixers and norms.

    Args:
        arch (str | dict): One of the family's ``arch_settings`` or a dict
            with ``layers`` and ``embed_dims``. Defaults to None: the
            family's smallest.
        token_mixer (str | dict | Sequence, optional): As
            :class:`PoolFormer` takes it. Defaults to None: the family's.
        norm_cfg (str | dict | Sequence, optional): The blocks' norm over
            the last dimension, the same way. Defaults to None: the
            family's.
        downsample_norm_cfg (str | dict, optional): The norm after the stem
            and before each downsampling, None for none. Defaults to
            ``dict(type='LN', eps=1e-6, bias=False)``.
        out_norm_cfg (str | dict, optional): Each output's norm, None for
            none. Defaults to ``dict(type='LN', eps=1e-6)``.
        act_cfg (str | dict | Sequence): The MLP activation, the same way.
            Defaults to ``dict(type='StarReLU')``.
        layer_scale_init_value (float | Sequence, optional): The initial
            layer scale, for all stages or one a stage, None for none.
            Defaults to None.
        res_scale_init_value (float | Sequence, optional): The initial
            residual scale, the same way. Defaults to
            ``(None, None, 1., 1.)``.
        **kwargs: The arguments of :class:`MetaFormer`.
    """

    checkpoint_family = BASELINES
    nhwc = True
    mlp_bias = False
    default_init_cfg = BASELINE_INIT_CFG
    arch_settings: Dict[str, Dict] = {}
    default_arch: str = ''
    default_token_mixer: CfgOrStages = 'identity'
    default_norm_cfg: CfgOrStages = LN_NO_BIAS

    def __init__(self,
                 arch: Optional[Union[str, Dict]] = None,
                 token_mixer: Optional[CfgOrStages] = None,
                 norm_cfg: Optional[CfgOrStages] = None,
                 downsample_norm_cfg: Optional[Union[str, Dict]] = LN_NO_BIAS,
                 out_norm_cfg: Optional[Union[str, Dict]] = dict(
                     type='LN', eps=1e-6),
                 act_cfg: CfgOrStages = dict(type='StarReLU'),
                 layer_scale_init_value: Optional[Union[
                     float, Sequence[Optional[float]]]] = None,
                 res_scale_init_value: Optional[Union[
                     float, Sequence[Optional[float]]]] = (None, None, 1., 1.),
                 **kwargs: Any) -> None:
        arch = parse_arch(self.default_arch if arch is None else arch,
                          self.arch_settings, type(self).__name__, {})
        num_stages = len(arch['layers'])
        stage_cfgs = [
            dict(depth=depth, dim=dim, mlp_ratio=4, token_mixer=mixer,
                 norm_cfg=norm, act_cfg=act, out_norm_cfg=out_norm_cfg,
                 layer_scale=layer_scale, res_scale=res_scale)
            for depth, dim, mixer, norm, act, layer_scale, res_scale in zip(
                arch['layers'], arch['embed_dims'],
                per_stage('token_mixer', self.default_token_mixer
                          if token_mixer is None else token_mixer,
                          num_stages),
                per_stage('norm_cfg', self.default_norm_cfg
                          if norm_cfg is None else norm_cfg, num_stages),
                per_stage('act_cfg', act_cfg, num_stages),
                per_stage('layer_scale_init_value', layer_scale_init_value,
                          num_stages, optional_number),
                per_stage('res_scale_init_value', res_scale_init_value,
                          num_stages, optional_number))
        ]
        super().__init__(stage_cfgs, downsample_norm_cfg, **kwargs)


@MODELS.register_module()
class PoolFormerV2(MetaFormerBaseline):
    """PoolFormerV2: pooling in the Baselines' block, one-group norms
    without bias (``PerSampleNorm``); arguments as
    :class:`MetaFormerBaseline`'s, ``arch`` 's12' (default) to 'm48'."""

    arch_settings = {
        name: dict(layers=arch['layers'], embed_dims=arch['embed_dims'])
        for name, arch in PoolFormer.arch_settings.items()
    }
    default_arch = 's12'
    default_token_mixer = dict(type='Pooling')
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
    """ConvFormer: separable convolutions in every stage; arguments as
    :class:`MetaFormerBaseline`'s, ``arch`` 's18' (default) to 'b36'."""

    arch_settings = SEPCONV_ARCHS
    default_arch = 's18'
    default_token_mixer = dict(type='SepConv')


@MODELS.register_module()
class CAFormer(MetaFormerBaseline):
    """CAFormer: separable convolutions, then attention (``head_dim`` 32)
    in the last two stages; arguments as :class:`MetaFormerBaseline`'s,
    ``arch`` 's18' (default) to 'b36'."""

    arch_settings = SEPCONV_ARCHS
    default_arch = 's18'
    default_token_mixer = (dict(type='SepConv'), dict(type='SepConv'),
                           dict(type='Attention', head_dim=32),
                           dict(type='Attention', head_dim=32))
