"""Building and checking the layers of a MetaFormer stage: the feature map
sizes, and token mixer, norm and activation configs that are refused by the
backbone argument they came from."""
from typing import Callable, Dict, List, Tuple, Union

import torch
import torch.nn as nn

from ..layers import MetaFormerBlock, build_act, build_norm, build_token_mixer

# The stem's and the downsampling's (kernel, stride, padding).
STEM = (7, 4, 2)
DOWNSAMPLING = (3, 2, 1)
# The smallest side the stem's kernel takes.
MIN_IMG_SIZE = STEM[0] - 2 * STEM[2]


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

    Args:
        argument (str): The backbone argument the config came from.
        stage (int): The stage it is built for.
        build (Callable): Builds a layer from ``cfg`` and ``kwargs``.
        cfg (str | dict): The layer config.
        **kwargs: The stage's context, e.g. its channels.
    """
    try:
        return build(cfg, **kwargs)
    except Exception as error:
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f'{argument} {cfg!r} cannot be built for stage {stage}: '
                   f'{error}') from error


def check_stage_layers(stage: int, dim: int, size: Tuple[int, int],
                       token_mixer: Union[str, Dict],
                       norm_cfg: Union[str, Dict], act_cfg: Union[str, Dict],
                       pool_size: int) -> None:
    """Refuses, by argument, a layer config of stage ``stage`` that does not
    build, or whose layer does not keep the shape of the stage's (N, C, H,
    W) feature maps (mmcv's ``LN``, for one, normalises W).

    Each layer is built and run (in eval mode) on the meta device, which
    takes no memory and draws no random numbers; an op without a meta
    kernel leaves its layer unchecked. The token mixer runs on the stage's
    map at ``img_size`` (a spatial MLP takes no other); norms and
    activations, which must take maps of any size, on one whose sides
    differ from the channels and from each other.

    Args:
        stage (int): The stage.
        dim (int): Its channels.
        size (tuple[int, int]): Its feature map's (H, W) at ``img_size``.
        token_mixer (str | dict): Its token mixer config.
        norm_cfg (str | dict): Its norm config.
        act_cfg (str | dict): Its activation config.
        pool_size (int): The backbone's pooling window.
    """
    any_size = (dim + 1, dim + 2)
    layers = [
        ('token_mixer', token_mixer, build_token_mixer,
         dict(dim=dim, num_tokens=size[0] * size[1],
              pool_size=pool_size), size),
        ('norm_cfg', norm_cfg, build_norm, dict(num_channels=dim), any_size),
        ('act_cfg', act_cfg, build_act, {}, any_size),
    ]
    for argument, cfg, build, kwargs, (h, w) in layers:
        with torch.device('meta'):
            layer = build_layer(argument, stage, build, cfg, **kwargs)
        x = torch.empty(1, dim, h, w, device='meta')
        try:
            out = layer.eval()(x)
        except NotImplementedError:
            continue
        except Exception as error:
            raise ValueError(
                f'{argument} {cfg!r} does not run on stage {stage}\'s '
                f'(N, C, H, W) feature maps: {error}') from error
        if not isinstance(out, torch.Tensor) or out.shape != x.shape:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) \
                else type(out).__name__
            raise ValueError(
                f'{argument} {cfg!r} must keep the shape of stage {stage}\'s '
                f'(N, C, H, W) feature maps, but turns {tuple(x.shape)} into '
                f'{got}')


def build_block(stage: int, dim: int, size: Tuple[int, int],
                token_mixer: Union[str, Dict], norm_cfg: Union[str, Dict],
                act_cfg: Union[str, Dict], pool_size: int,
                **block_kwargs) -> MetaFormerBlock:
    """A block of stage ``stage``; a layer config that does not build is
    refused by name (:func:`build_layer`).

    Args:
        stage (int): The stage.
        dim (int): Its channels.
        size (tuple[int, int]): Its feature map's (H, W) at ``img_size``.
        token_mixer (str | dict): Its token mixer config.
        norm_cfg (str | dict): Its norm config.
        act_cfg (str | dict): Its activation config.
        pool_size (int): The backbone's pooling window.
        **block_kwargs: The other arguments of :class:`MetaFormerBlock`.
    """
    return MetaFormerBlock(
        dim,
        token_mixer=build_layer(
            'token_mixer', stage, build_token_mixer, token_mixer, dim=dim,
            num_tokens=size[0] * size[1], pool_size=pool_size),
        norm1=build_layer(
            'norm_cfg', stage, build_norm, norm_cfg, num_channels=dim),
        norm2=build_layer(
            'norm_cfg', stage, build_norm, norm_cfg, num_channels=dim),
        act=build_layer('act_cfg', stage, build_act, act_cfg),
        **block_kwargs)
