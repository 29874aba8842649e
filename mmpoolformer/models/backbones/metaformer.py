"""The MetaFormer backbone: one model for PoolFormer (with its hybrids and
ablations) and the MetaFormer Baselines (PoolFormerV2, ConvFormer,
CAFormer). Each family is a registered subclass that turns its own
arguments into the configuration of each stage."""
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

# PoolFormer's official initialisation: the MLPs' 1x1 convolutions and
# every linear layer (attention, spatial MLP) drawn from N(0, 0.02^2) cut at
# +-2 (an absolute bound, 100 std: nothing is cut in practice), biases 0;
# the stem, downsampling and norms keep PyTorch's default.
OFFICIAL_INIT_CFG = dict(
    type='TruncNormal', layer=['PointwiseConv2d', 'Linear'], std=.02, bias=0.)
# The MetaFormer Baselines' official initialisation: every convolution and
# linear layer as above; norms and scales at 1 (and 0).
BASELINE_INIT_CFG = dict(
    type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.)
# LayerNorm without bias over the channels, ConvFormer's and CAFormer's norm
# and the Baselines' norm after the stem and before each downsampling.
LN_NO_BIAS = dict(type='LN', eps=1e-6, bias=False)


def conv_out_size(size: int, conv: Tuple[int, int, int]) -> int:
    """The output side of a convolution ``(kernel, stride, padding)`` over
    ``size`` pixels."""
    kernel, stride, padding = conv
    return (size + 2 * padding - kernel) // stride + 1


def stage_sizes(img_size: Tuple[int, int],
                num_stages: int) -> List[Tuple[int, int]]:
    """The (H, W) of each stage's feature map for an ``img_size`` input."""
    sizes = [tuple(conv_out_size(n, STEM) for n in img_size)]
    while len(sizes) < num_stages:
        sizes.append(tuple(conv_out_size(n, DOWNSAMPLING) for n in sizes[-1]))
    return sizes


def build_layer(argument: str, stage: int, build: Callable[..., nn.Module],
                cfg: Union[str, Dict], **kwargs) -> nn.Module:
    """``build(cfg, **kwargs)``, refused by argument and stage.

    The config may name any registered class, whose constructor may refuse
    it in any way (mmcv asserts, GroupNorm divides by ``num_groups``); every
    such error becomes a ValueError (a TypeError stays one) that names the
    backbone's argument, the stage and the config.
    """
    try:
        return build(cfg, **kwargs)
    except Exception as error:
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f'{argument} {cfg!r} cannot be built for stage {stage}: '
                   f'{error}') from error


class MetaFormer(BaseModule):
    """A MetaFormer backbone: a 7x7 stride-4 stem, then stages of
    :class:`~mmpoolformer.models.layers.MetaFormerBlock`, each after a 3x3
    stride-2 downsampling, with multi-scale outputs.

    The family subclasses (:class:`PoolFormer`, :class:`PoolFormerV2`,
    :class:`ConvFormer`, :class:`CAFormer`) are the ones to build: they turn
    their arguments into ``stage_cfgs`` and take every other argument
    documented here. ``nhwc`` says which maps the blocks see: PoolFormer's
    (N, C, H, W) with 1x1-convolution MLPs, or the Baselines' (N, H, W, C)
    with linear MLPs; every token mixer runs on either.

    Parameters carry one set of names (the official MetaFormer Baselines'):
    ``downsample_layers.{i}`` the stem (``i`` = 0) or the downsampling into
    stage ``i`` (``.pre_norm``, ``.conv``, ``.post_norm``), ``stages.{i}.{j}``
    its blocks, ``norm{i}`` the norm of its output and ``pos_embed{i}`` the
    position embedding added before its blocks. ``load_state_dict`` (and so
    mmengine's ``load_checkpoint``, ``load_from`` and ``--resume``, which
    load through it) takes a state dict of any layout of the family
    (:mod:`mmpoolformer.checkpoint.layouts`): a pre-hook renames its keys to
    ours, reshapes pointwise weights, makes a classifier's final norm the
    last stage's output norm and drops its head, before PyTorch matches the
    keys, strictly or not.

    Args:
        stage_cfgs (list[dict]): Each stage's ``depth``, ``dim``,
            ``mlp_ratio``, ``token_mixer``, ``norm_cfg``, ``act_cfg``,
            ``out_norm_cfg`` (None: no output norm), ``layer_scale`` and
            ``res_scale`` (initial values, None for none).
        downsample_norm_cfg (str | dict, optional): The norm after the stem
            and before each downsampling, or None for none. Defaults to
            None.
        in_channels (int): Input image channels, at least 1. Defaults to 3.
        pool_size (int): Window of the pooling mixers whose config sets
            none, an odd positive int. Defaults to 3.
        drop_rate (float): Dropout in the MLPs, in [0, 1). Defaults to 0.
        drop_path_rate (float): Drop path probability of the last block, in
            [0, 1); it rises linearly from 0 over all blocks. Defaults to 0.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, each through a norm of its own: at least one,
            increasing and distinct; negative values count from the last
            stage. Stages after the last output are not built.
            Defaults to (0, 1, 2, 3).
        frozen_stages (int): -1 freezes nothing, 0 the stem, ``i`` the stem
            and the first ``i`` stages (with their downsampling, position
            embeddings and output norms), up to the last output's stage plus
            one. Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training
            (the Baselines' norms, over the channels of (N, H, W, C) maps,
            are never BatchNorm). Defaults to False.
        with_cp (bool): Gradient checkpointing of every block, trading
            compute for memory. Defaults to False.
        channels_last (bool): Run convolutions and pooling in the
            channels-last memory format, which makes CPU (oneDNN) and GPU
            kernels faster. Outputs are equal and contiguous (N, C, H, W).
            Defaults to False.
        img_size (int | tuple[int, int]): Input size (H, W), at least 3
            pixels, used only by mixers whose weights depend on it (the
            spatial MLP, built for the stages' feature maps of exactly this
            input) and position embeddings (built for that input).
            Defaults to 224.
        pos_embed (bool | Sequence[bool]): Add a learnable position
            embedding, zeros of shape (1, C, H, W) at first, to the input of
            a stage's blocks, (H, W) its feature map at ``img_size``: True or
            False for all stages, or one a stage; the official MetaFormer
            hybrids use one before their first attention stage. On maps of
            another size it is resized bicubically (see
            :func:`~mmpoolformer.models.layers.add_pos_embed`).
            Defaults to False.
        pretrained (str, optional): Checkpoint path or URL, the same as
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``; mmseg
            segmentors pass their ``pretrained`` here. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config; one
            that is given replaces the default. ``dict(type='Pretrained',
            checkpoint=...)`` loads a checkpoint of any layout of the family,
            optionally only its keys under ``prefix`` (e.g. ``'backbone.'``).
            From a classification checkpoint the classifier's final norm
            (official ``norm.*``, timm's ``head.norm.*``, the last stage's
            norm of a whole classifier) is skipped, as the official
            detection and segmentation code does: the last stage's output
            norm starts at weight 1, bias 0, and the log lists the skipped
            tensors; ``keep_classifier_norm=True`` loads it there instead.
            ``[]`` keeps PyTorch's default initialisation everywhere.
            Defaults to None: the family's ``default_init_cfg``, its
            official initialisation.

    Raises:
        TypeError: an argument of the wrong type (``bool`` is no int).
        ValueError: a value that is not allowed, or a layer config that
            does not build or does not keep the shape of its stage's maps
            (each is built and run on the meta device, those of stages that
            are not built too). Either message names the argument, its value
            and what is allowed.
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
        # Stages that will not be built are checked too.
        for i, cfg in enumerate(stage_cfgs):
            self._check_stage(i, cfg, pool_size)
            if downsample_norm_cfg is not None:
                self._check_norm('downsample_norm_cfg', i,
                                 downsample_norm_cfg,
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
        """Channels, stride and module name of each output, for necks."""
        return [
            dict(num_chs=self.embed_dims[i], reduction=4 * 2**i,
                 module=f'stages.{i}') for i in self.out_indices
        ]

    def output_norm(self, stage: int) -> nn.Module:
        """The norm of stage ``stage``'s output (``norm{stage}``)."""
        return getattr(self, f'norm{stage}')

    def position_embedding(self, stage: int) -> Optional[nn.Parameter]:
        """The position embedding added before stage ``stage``'s blocks
        (``pos_embed{stage}``), or None where it has none."""
        return getattr(self, f'pos_embed{stage}', None)

    def _map_shape(self, dim: int, size: Tuple[int, int]) -> Tuple:
        """The shape of one map of ``dim`` channels and ``size`` positions
        as the blocks see it."""
        return (1, *size, dim) if self.nhwc else (1, dim, *size)

    def _build_mixer(self, stage: int, cfg: Dict,
                     pool_size: int) -> nn.Module:
        """The token mixer of a block of ``stage`` (``cfg``), for maps of
        the blocks' layout."""
        size = cfg['size']
        return build_layer('token_mixer', stage, build_token_mixer,
                           cfg['token_mixer'], dim=cfg['dim'],
                           num_tokens=size[0] * size[1], pool_size=pool_size,
                           nhwc=self.nhwc)

    def _check_layer(self, argument: str, stage: int, cfg: Union[str, Dict],
                     build: Callable[[], nn.Module], dim: int,
                     size: Optional[Tuple[int, int]] = None,
                     is_norm: bool = False) -> None:
        """Refuses, by argument, a layer config of ``stage`` whose layer
        (``build()``, which refuses a config that does not build) does not
        keep the shape of the blocks' maps of ``dim`` channels (mmcv's
        ``LN``, for one, normalises W of (N, C, H, W) maps; ``BN`` the H of
        (N, H, W, C) ones).

        The layer is built and run (in eval mode) on the meta device, which
        takes no memory and draws no random numbers; an op without a meta
        kernel leaves it unchecked. It runs on a map of ``size``, or, where
        it must take maps of any size, of one whose sides differ from the
        channels and from each other.
        """
        with torch.device('meta'):
            layer = build()
        x = torch.empty(
            self._map_shape(dim, size or (dim + 1, dim + 2)), device='meta')
        maps = (f'stage {stage}\'s (N, H, W, C) feature maps' if self.nhwc
                else f'stage {stage}\'s (N, C, H, W) feature maps')
        if self.nhwc and is_norm:
            maps += (f' (a norm over the last dimension, such as '
                     f'{LN_NO_BIAS}, not one of (N, C, H, W) maps such as '
                     f'BN, GN or LN2d)')
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

    def _check_norm(self, argument: str, stage: int, cfg: Union[str, Dict],
                    dim: int) -> None:
        """:meth:`_check_layer` for a norm of ``dim`` channels."""
        self._check_layer(
            argument, stage, cfg,
            lambda: build_layer(argument, stage, build_norm, cfg,
                                num_channels=dim), dim, is_norm=True)

    def _check_stage(self, stage: int, cfg: Dict, pool_size: int) -> None:
        """Refuses a layer config of ``stage`` that does not build or does
        not keep the shape of its maps, by the argument it came from; the
        token mixer runs on the stage's map at ``img_size`` (a spatial MLP
        takes no other)."""
        dim = cfg['dim']
        self._check_layer('token_mixer', stage, cfg['token_mixer'],
                          lambda: self._build_mixer(stage, cfg, pool_size),
                          dim, cfg['size'])
        self._check_norm('norm_cfg', stage, cfg['norm_cfg'], dim)
        self._check_layer(
            'act_cfg', stage, cfg['act_cfg'],
            lambda: build_layer('act_cfg', stage, build_act, cfg['act_cfg']),
            dim)
        if cfg['out_norm_cfg'] not in (None, cfg['norm_cfg']):
            self._check_norm('out_norm_cfg', stage, cfg['out_norm_cfg'], dim)

    def _build_downsampling(self, stage: int, in_channels: int,
                            stage_cfgs: List[Dict],
                            norm_cfg: Optional[Union[str, Dict]]
                            ) -> Downsampling:
        """The stem (stage 0: a norm after it) or the downsampling into
        ``stage`` (a norm before it)."""
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
        """A block of ``stage``; a config that does not build is refused by
        the argument it came from."""
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

    def _frozen_modules(self) -> List[nn.Module]:
        """The stem, then each frozen stage's downsampling, blocks and
        output norm."""
        if self.frozen_stages < 0:
            return []
        modules = [*self.downsample_layers[:max(self.frozen_stages, 1)],
                   *self.stages[:self.frozen_stages]]
        return modules + [self.output_norm(i) for i in self.out_indices
                          if i < self.frozen_stages]

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False
        for i in range(self.frozen_stages):
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

    @torch.no_grad()
    def fuse(self) -> 'MetaFormer':
        """Fuses every block for inference where that is exact
        (:func:`~mmpoolformer.models.layers.fuse.fuse_block`: a PoolFormer
        pooling block becomes a
        :class:`~mmpoolformer.models.layers.FusedPoolFormerBlock`; in the
        others layer scales, StarReLU's scale and bias and PerSampleNorm's
        weights fold into the layers next to them). Outputs stay equal (to
        float rounding).

        Returns:
            MetaFormer: ``self``, in eval mode and inference-only.
        """
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
                # Contiguous (N, C, H, W) whatever the memory format inside:
                # ops of the necks and heads may read the memory as that,
                # as mmcv's RoIAlign does (wrongly on channels-last maps).
                outs.append(out.contiguous())
        return tuple(outs)


@MODELS.register_module()
class PoolFormer(MetaFormer):
    """PoolFormer backbone with multi-scale outputs.

    Implements `MetaFormer is Actually What You Need for Vision
    <https://arxiv.org/abs/2111.11418>`_: blocks of (N, C, H, W) maps with
    layer scales and 1x1-convolution MLPs with biases, no norms around the
    stem and downsampling, each stage's output through a norm like its
    blocks'. Every stage can use another token mixer, norm or activation,
    which covers the paper's ablations and hybrid models, e.g.
    ``token_mixer=('pooling', 'pooling', 'attention', 'attention')``. The
    official, mmpretrain, mmseg and timm layouts load (see
    :class:`MetaFormer` for the names).

    Args:
        arch (str | dict): One of ``PoolFormer.arch_settings`` or a dict with
            ``layers`` and ``embed_dims`` (positive ints, one a stage) and
            optionally ``mlp_ratios`` (positive numbers, one a stage, that
            leave every MLP a hidden channel; 4 each by default) and
            ``layer_scale_init_value`` (1e-5 by default). Defaults to 's12'.
        token_mixer (str | dict | Sequence): The token mixer config, e.g.
            ``dict(type='Pooling')``, ``dict(type='Attention', head_dim=32)``,
            ``dict(type='SpatialMLP')``, ``dict(type='SepConv')``,
            ``dict(type='Identity')`` or their short names 'pooling',
            'attention', 'spatial_mlp', 'sepconv', 'identity'; for all stages
            or one a stage. Defaults to 'pooling'.
        norm_cfg (str | dict | Sequence): The norm config of the blocks and
            outputs, built through the registries, e.g.
            ``dict(type='GN', num_groups=1)``, ``dict(type='LN2d')``,
            ``dict(type='BN')``, ``dict(type='SyncBN')``, or the short names
            'gn', 'ln', 'bn'; for all stages or one a stage. Defaults to
            ``dict(type='GN', num_groups=1)``.
        act_cfg (str | dict | Sequence): The MLP activation config, e.g.
            ``dict(type='GELU')``, or the short names 'gelu', 'relu', 'silu';
            for all stages or one a stage. Defaults to ``dict(type='GELU')``.
        layer_scale_init_value (float, optional): Initial layer scale, a
            finite number. Defaults to None, the arch's value.
        **kwargs: The arguments of every family (:class:`MetaFormer`):
            ``in_channels``, ``pool_size``, ``drop_rate``,
            ``drop_path_rate``, ``out_indices``, ``frozen_stages``,
            ``norm_eval``, ``with_cp``, ``channels_last``, ``img_size``,
            ``pos_embed``, ``pretrained`` and ``init_cfg`` (by default
            :data:`OFFICIAL_INIT_CFG`).
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
    """A backbone of the MetaFormer Baselines family.

    Implements `MetaFormer Baselines for Vision
    <https://arxiv.org/abs/2210.13452>`_: a norm after the stem and before
    each downsampling, blocks of channels-last (N, H, W, C) maps as the
    official code has them, so that its linear layers load as they are,
    with StarReLU MLPs without biases, norms without biases and residual
    scales in the last two stages. The three families differ in their
    token mixers and norms (see the subclasses). Official and timm
    checkpoints load (see :class:`MetaFormer` for the names).

    Args:
        arch (str | dict): One of the family's ``arch_settings`` or a dict
            with ``layers`` and ``embed_dims`` (positive ints, one a stage).
            Defaults to None: the family's smallest arch.
        token_mixer (str | dict | Sequence, optional): The token mixer
            config, for all stages or one a stage, as :class:`PoolFormer`
            takes it. Defaults to None: the family's.
        norm_cfg (str | dict | Sequence, optional): The blocks' norm config,
            for all stages or one a stage, a norm over the last dimension
            such as ``dict(type='LN', eps=1e-6, bias=False)`` or
            ``dict(type='PerSampleNorm')``. Defaults to None: the family's.
        downsample_norm_cfg (str | dict, optional): The norm after the stem
            and before each downsampling, or None for none. Defaults to
            ``dict(type='LN', eps=1e-6, bias=False)``.
        out_norm_cfg (str | dict, optional): The norm of each output, or
            None for none (a classifier normalises after pooling). Defaults
            to ``dict(type='LN', eps=1e-6)``, the classifier's final norm.
        act_cfg (str | dict | Sequence): The MLP activation, for all stages
            or one a stage. Defaults to ``dict(type='StarReLU')``.
        layer_scale_init_value (float | Sequence, optional): Initial layer
            scale, for all stages or one a stage; None for none.
            Defaults to None.
        res_scale_init_value (float | Sequence, optional): Initial residual
            scale, the same way. Defaults to ``(None, None, 1., 1.)``.
        **kwargs: The arguments of every family (:class:`MetaFormer`), with
            ``init_cfg`` by default :data:`BASELINE_INIT_CFG`.
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
    """PoolFormerV2: PoolFormer's pooling mixer (``pool_size``, 3 by
    default) in the MetaFormer Baselines' block, with one-group norms
    without bias (``dict(type='PerSampleNorm')``). See
    :class:`MetaFormerBaseline` for the arguments; ``arch`` is one of 's12',
    's24', 's36', 'm36', 'm48' (default 's12')."""

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
    (head_dim 32, ``proj`` without bias, over all positions of a map of any
    size) in the last two, LayerNorms without bias. See
    :class:`MetaFormerBaseline` for the arguments; ``arch`` is one of 's18',
    's36', 'm36', 'b36' (default 's18')."""

    arch_settings = SEPCONV_ARCHS
    default_arch = 's18'
    default_token_mixer = (dict(type='SepConv'), dict(type='SepConv'),
                           dict(type='Attention', head_dim=32),
                           dict(type='Attention', head_dim=32))
