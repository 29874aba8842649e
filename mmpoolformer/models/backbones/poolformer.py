"""PoolFormer, and the MetaFormer family it generalises, as a backbone."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

from mmpoolformer.checkpoint import POOLFORMER
from mmpoolformer.registry import MODELS
from ..layers import (FusedPoolFormerBlock, PatchEmbed, add_pos_embed,
                      build_norm)
from ..validation import (check_bool, check_int, check_list, check_number,
                          check_odd_size, is_int)
from .arguments import (CfgOrStages, block_drop_path_rates,
                        check_frozen_stages, parse_init_cfg,
                        parse_out_indices, per_stage)
from .base import MetaFormerBackbone
from .stage_layers import (DOWNSAMPLING, MIN_IMG_SIZE, STEM, build_block,
                           build_layer, check_stage_layers, stage_sizes)

# The official initialisation: the MLPs' 1x1 convolutions and every linear
# layer (attention, spatial MLP) drawn from N(0, 0.02^2) cut at +-2 (an
# absolute bound, 100 std: nothing is cut in practice), biases 0; the patch
# embeddings and norms keep PyTorch's default.
OFFICIAL_INIT_CFG = dict(
    type='TruncNormal', layer=['PointwiseConv2d', 'Linear'], std=.02, bias=0.)


class MetaFormerStage(nn.Sequential):
    """The blocks of one stage, run one after the other, each optionally
    under gradient checkpointing.

    A plain sequence of blocks, so its parameters carry the official names
    (``network.{k}.{j}.*``).

    Args:
        blocks (list[nn.Module]): The blocks.
        with_cp (bool): Checkpoint each block while gradients are needed,
            trading compute for memory. Defaults to False.
    """

    def __init__(self, blocks: List[nn.Module], with_cp: bool = False) -> None:
        super().__init__(*blocks)
        self.with_cp = with_cp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        use_cp = self.with_cp and x.requires_grad
        for block in self:
            x = checkpoint(block, x, use_reentrant=False) if use_cp \
                else block(x)
        return x


@MODELS.register_module()
class PoolFormer(MetaFormerBackbone):
    """PoolFormer backbone with multi-scale outputs.

    Implements `MetaFormer is Actually What You Need for Vision
    <https://arxiv.org/abs/2111.11418>`_: a 7x7 stride-4 patch embedding,
    then four stages of MetaFormer blocks separated by 3x3 stride-2
    downsampling. Every stage can use another token mixer, norm or
    activation, which covers the paper's ablations and hybrid models, e.g.
    ``token_mixer=('pooling', 'pooling', 'attention', 'attention')``.

    Parameters carry the official names (those of the sail-sg code and
    mmpretrain's ``PoolFormer``): ``patch_embed.proj``, ``network.{2i}`` the
    blocks of stage ``i``, ``network.{2i-1}`` the downsampling into it, and
    ``norm{2i}`` the norm of stage ``i``'s output; ``pos_embed{2i}`` is the
    position embedding added before ``network.{2i}``. Official, mmpretrain
    and mmseg checkpoints load by name; timm's layout and the official
    MetaFormer's (whose position embeddings are entries of ``network``)
    convert through ``init_cfg=dict(type='Pretrained', checkpoint=...)`` and
    ``tools/convert_checkpoint.py``.

    Args:
        arch (str | dict): One of ``PoolFormer.arch_settings`` or a dict with
            ``layers`` and ``embed_dims`` (positive ints, one a stage) and
            optionally ``mlp_ratios`` (positive numbers, one a stage, that
            leave every MLP a hidden channel; 4 each by default) and
            ``layer_scale_init_value`` (1e-5 by default). Defaults to 's12'.
        in_channels (int): Input image channels, at least 1. Defaults to 3.
        pool_size (int): Window of the pooling token mixer (unless its own
            config sets one), an odd positive int. Defaults to 3.
        token_mixer (str | dict | Sequence): The token mixer config, e.g.
            ``dict(type='Pooling')``, ``dict(type='Attention', head_dim=32)``,
            ``dict(type='SpatialMLP')``, ``dict(type='Identity')`` or their
            short names 'pooling', 'attention', 'spatial_mlp', 'identity';
            for all stages or one a stage. Defaults to 'pooling'.
        norm_cfg (str | dict | Sequence): The norm config, built through the
            registries, e.g. ``dict(type='GN', num_groups=1)``,
            ``dict(type='LN2d')``, ``dict(type='BN')``,
            ``dict(type='SyncBN')``, or the short names 'gn', 'ln', 'bn'; for
            all stages or one a stage. Defaults to
            ``dict(type='GN', num_groups=1)``.
        act_cfg (str | dict | Sequence): The MLP activation config, e.g.
            ``dict(type='GELU')``, or the short names 'gelu', 'relu', 'silu';
            for all stages or one a stage. Defaults to ``dict(type='GELU')``.
            The layer configs of every stage are checked by building one
            block of it on the meta device, those of stages that are not
            built too.
        layer_scale_init_value (float, optional): Initial layer scale, a
            finite number. Defaults to None, the arch's value.
        drop_rate (float): Dropout inside the MLPs, in [0, 1). Defaults to 0.
        drop_path_rate (float): Drop path probability of the last block, in
            [0, 1); it rises linearly from 0 over all blocks. Defaults to 0.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, each through a norm of its own: at least one,
            increasing and distinct; negative values count from the last
            stage. Stages after the last output are not built.
            Defaults to (0, 1, 2, 3).
        frozen_stages (int): -1 freezes nothing, 0 the patch embedding,
            ``i`` the patch embedding and the first ``i`` stages (with their
            downsampling, position embeddings and output norms), up to the
            last output's stage plus one. Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training.
            Defaults to False.
        with_cp (bool): Gradient checkpointing of every block, trading
            compute for memory. Defaults to False.
        channels_last (bool): Run in the channels-last memory format, which
            makes CPU (oneDNN) and GPU convolutions and pooling faster.
            Outputs are equal; they come back channels-last. Defaults to
            False.
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
            checkpoint=...)`` loads a checkpoint of any supported layout,
            optionally only its keys under ``prefix`` (e.g. ``'backbone.'``).
            From a classification checkpoint the classifier's final norm
            (official ``norm.*``, timm's ``head.norm.*``, the last stage's
            norm of a whole classifier) is skipped, as the official
            detection and segmentation code does: the last stage's output
            norm starts at weight 1, bias 0, and the log lists the skipped
            tensors; ``keep_classifier_norm=True`` loads it there instead.
            ``[]`` keeps PyTorch's default initialisation everywhere.
            Defaults to None: :data:`OFFICIAL_INIT_CFG`, the official
            initialisation (truncated normal, std 0.02, zero bias for the
            MLPs' 1x1 convolutions and all linear layers; PyTorch's default
            for the patch embeddings and norms).

    Raises:
        TypeError: an argument of the wrong type (``bool`` is no int).
        ValueError: a value that is not allowed, or a layer config that
            does not build. Either message names the argument, its value
            and what is allowed.
    """

    checkpoint_family = POOLFORMER
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
                 token_mixer: CfgOrStages = 'pooling',
                 norm_cfg: CfgOrStages = dict(type='GN', num_groups=1),
                 act_cfg: CfgOrStages = dict(type='GELU'),
                 layer_scale_init_value: Optional[float] = None,
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
        arch = self._parse_arch(arch)
        layers, embed_dims = arch['layers'], arch['embed_dims']
        num_stages = len(layers)
        check_int('in_channels', in_channels, minimum=1)
        check_odd_size('pool_size', pool_size)
        if layer_scale_init_value is None:
            layer_scale_init_value = arch['layer_scale_init_value']
        check_number('layer_scale_init_value', layer_scale_init_value)
        check_number('drop_rate', drop_rate, 0, 1, high_open=True)
        block_dprs = block_drop_path_rates(drop_path_rate, sum(layers))
        mixers = per_stage(token_mixer, num_stages, 'token_mixer')
        norms = per_stage(norm_cfg, num_stages, 'norm_cfg')
        acts = per_stage(act_cfg, num_stages, 'act_cfg')
        out_indices = parse_out_indices(out_indices, num_stages)
        check_frozen_stages(frozen_stages, out_indices)
        check_bool('norm_eval', norm_eval)
        check_bool('with_cp', with_cp)
        check_bool('channels_last', channels_last)
        sizes = stage_sizes(self._parse_img_size(img_size), num_stages)
        pos_embeds = self._parse_pos_embed(pos_embed, num_stages)
        layer_cfgs = [
            dict(
                dim=embed_dims[i],
                size=sizes[i],
                token_mixer=mixers[i],
                norm_cfg=norms[i],
                act_cfg=acts[i],
                pool_size=pool_size) for i in range(num_stages)
        ]
        # Stages that will not be built are checked too.
        for i, layer_cfg in enumerate(layer_cfgs):
            check_stage_layers(i, **layer_cfg)
        super().__init__(
            embed_dims, out_indices, frozen_stages, norm_eval, with_cp,
            channels_last,
            parse_init_cfg(pretrained, init_cfg, OFFICIAL_INIT_CFG))

        self.patch_embed = PatchEmbed(in_channels, embed_dims[0], *STEM)
        network = []
        # Stages after the last output would hold parameters that never get
        # a gradient (an error under DDP), so they are not built.
        for i in range(self.out_indices[-1] + 1):
            if i > 0:
                network.append(
                    PatchEmbed(embed_dims[i - 1], embed_dims[i],
                               *DOWNSAMPLING))
            blocks = [
                build_block(
                    i,
                    mlp_ratio=arch['mlp_ratios'][i],
                    drop=drop_rate,
                    drop_path=block_dprs[sum(layers[:i]) + j],
                    layer_scale_init_value=layer_scale_init_value,
                    **layer_cfgs[i]) for j in range(layers[i])
            ]
            network.append(MetaFormerStage(blocks, with_cp))
            if pos_embeds[i]:
                self.register_parameter(
                    f'pos_embed{2 * i}',
                    nn.Parameter(torch.zeros(1, embed_dims[i], *sizes[i])))
        self.network = nn.ModuleList(network)
        for i in self.out_indices:
            self.add_module(
                f'norm{2 * i}',
                build_layer('norm_cfg', i, build_norm, norms[i],
                            num_channels=embed_dims[i]))
        self._freeze_stages()
        if channels_last:
            self.to(memory_format=torch.channels_last)

    @property
    def stages(self) -> List[MetaFormerStage]:
        """The built stages' blocks, in order (``network.{2i}``)."""
        return list(self.network[::2])

    def output_norm(self, stage: int) -> nn.Module:
        """The norm of stage ``stage``'s output (``norm{2 * stage}``)."""
        return getattr(self, f'norm{2 * stage}')

    def position_embedding(self, stage: int) -> Optional[nn.Parameter]:
        """The position embedding added before stage ``stage``'s blocks
        (``pos_embed{2 * stage}``), or None where it has none."""
        return getattr(self, f'pos_embed{2 * stage}', None)

    @property
    def feature_info(self) -> List[Dict]:
        """Channels, stride and module name of each output, for necks."""
        return [
            dict(num_chs=self.embed_dims[i], reduction=4 * 2**i,
                 module=f'network.{2 * i}') for i in self.out_indices
        ]

    @classmethod
    def _parse_arch(cls, arch: Union[str, Dict]) -> Dict:
        """The arch's settings, checked, with every key filled in."""
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_settings:
                raise ValueError(
                    f'unknown PoolFormer arch {arch!r}: choose one of '
                    f'{sorted(cls.arch_settings)} or pass a dict with '
                    f'"layers" and "embed_dims"')
            arch = cls.arch_settings[arch.lower()]
        keys = ('layers', 'embed_dims', 'mlp_ratios', 'layer_scale_init_value')
        if not isinstance(arch, dict):
            raise TypeError(
                f'arch must be one of {sorted(cls.arch_settings)} or a dict '
                f'with "layers" and "embed_dims", got {arch!r}')
        if not {'layers', 'embed_dims'} <= set(arch) <= set(keys):
            raise ValueError(
                f'a custom arch must be a dict with the keys {keys[:2]} and '
                f'optionally {keys[2:]}, got {arch!r}')
        layers = [
            check_int(f'arch["layers"][{i}]', n, minimum=1)
            for i, n in enumerate(check_list('arch["layers"]', arch['layers']))
        ]
        num_stages = len(layers)
        embed_dims = [
            check_int(f'arch["embed_dims"][{i}]', dim, minimum=1)
            for i, dim in enumerate(
                check_list('arch["embed_dims"]', arch['embed_dims'],
                           num_stages))
        ]
        mlp_ratios = check_list('arch["mlp_ratios"]',
                                arch.get('mlp_ratios', [4] * num_stages),
                                num_stages)
        for i, (dim, ratio) in enumerate(zip(embed_dims, mlp_ratios)):
            check_number(f'arch["mlp_ratios"][{i}]', ratio, low=0)
            if int(dim * ratio) < 1:
                raise ValueError(
                    f'arch["mlp_ratios"][{i}] must leave stage {i}\'s MLP '
                    f'at least one hidden channel (int({dim} * ratio) >= 1), '
                    f'got {ratio!r}')
        return dict(
            layers=layers,
            embed_dims=embed_dims,
            mlp_ratios=mlp_ratios,
            layer_scale_init_value=check_number(
                'arch["layer_scale_init_value"]',
                arch.get('layer_scale_init_value', 1e-5)))

    @staticmethod
    def _parse_img_size(
            img_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
        """``img_size`` as (H, W)."""
        allowed = (f'an int >= {MIN_IMG_SIZE} or an (H, W) pair of them (the '
                   f'stem\'s {STEM[0]}x{STEM[0]} kernel needs '
                   f'{MIN_IMG_SIZE} pixels)')
        size = [img_size, img_size] if is_int(img_size) else img_size
        if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
                is_int(n) for n in size):
            raise TypeError(f'img_size must be {allowed}, got {img_size!r}')
        if min(size) < MIN_IMG_SIZE:
            raise ValueError(f'img_size must be {allowed}, got {img_size!r}')
        return int(size[0]), int(size[1])

    @staticmethod
    def _parse_pos_embed(pos_embed: Union[bool, Sequence[bool]],
                         num_stages: int) -> List[bool]:
        """Whether each stage gets a position embedding."""
        allowed = (f'True, False or a list of {num_stages} of them (one a '
                   f'stage)')
        flags = [pos_embed] * num_stages if isinstance(pos_embed, bool) \
            else pos_embed
        if not isinstance(flags, (list, tuple)) or not all(
                isinstance(flag, bool) for flag in flags):
            raise TypeError(f'pos_embed must be {allowed}, got {pos_embed!r}')
        if len(flags) != num_stages:
            raise ValueError(f'pos_embed must be {allowed}, got '
                             f'{pos_embed!r}')
        return list(flags)

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        # The stem, then each frozen stage's downsampling and blocks.
        modules = [self.patch_embed, *self.network[:2 * self.frozen_stages]]
        modules += [
            self.output_norm(i) for i in self.out_indices
            if i < self.frozen_stages
        ]
        return modules

    def _frozen_parameters(self) -> List[nn.Parameter]:
        """The frozen stages' position embeddings."""
        embeds = map(self.position_embedding, range(self.frozen_stages))
        return [embed for embed in embeds if embed is not None]

    @torch.no_grad()
    def fuse(self) -> 'PoolFormer':
        """Folds norm affines and layer scales of every pooling block with
        one-group GroupNorm into its convolutions, for inference; outputs
        stay equal (to float rounding). Other blocks are kept as they are.

        Returns:
            PoolFormer: ``self``, in eval mode and inference-only.
        """
        self.eval()
        for stage in self.stages:
            for j, block in enumerate(stage):
                if FusedPoolFormerBlock.can_fuse(block):
                    stage[j] = FusedPoolFormerBlock.from_block(block)
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        self.fused = True
        return self

    def _with_pos_embed(self, x: torch.Tensor, stage: int) -> torch.Tensor:
        """``x`` plus stage ``stage``'s position embedding, if it has
        one."""
        embed = self.position_embedding(stage)
        return x if embed is None else add_pos_embed(x, embed)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Returns the normed outputs of the stages in ``out_indices``."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.patch_embed(x)
        outs = []
        for k, module in enumerate(self.network):
            if k % 2 == 0:
                x = self._with_pos_embed(x, k // 2)
            x = module(x)
            if k % 2 == 0 and k // 2 in self.out_indices:
                outs.append(self.output_norm(k // 2)(x))
        return tuple(outs)
