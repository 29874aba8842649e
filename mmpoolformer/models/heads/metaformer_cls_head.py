"""The MetaFormer Baselines' classifier head; it needs mmpretrain, so
configs import it (``custom_imports``: ``'mmpoolformer.models.heads'``)."""
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead

from mmpoolformer.registry import MODELS
from ..layers import SquaredReLU, build_norm
from ..validation import check_int, check_number

# The official initialisation of the classifier's linear layers.
HEAD_INIT_CFG = dict(type='TruncNormal', layer='Linear', std=.02, bias=0.)


class MlpHead(nn.Module):
    """ConvFormer's and CAFormer's classifier: ``fc2(dropout(norm(
    squared_relu(fc1(x)))))``, with biases."""

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 num_classes: int,
                 dropout: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_channels, hidden_channels)
        self.act = SquaredReLU()
        # The official nn.LayerNorm (eps 1e-5); timm's port has 1e-6.
        self.norm = nn.LayerNorm(hidden_channels)
        self.head_dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.act(self.fc1(x)))
        return self.fc2(self.head_dropout(x))


@MODELS.register_module()
class MetaFormerClsHead(ClsHead):
    """The official MetaFormer Baselines classifier after global average
    pooling: a norm, then a linear layer (PoolFormerV2's) or an MLP
    (ConvFormer's and CAFormer's), in timm's names (``norm``, ``fc``,
    ``fc.fc1``, ``fc.norm``, ``fc.fc2``).

    Args:
        num_classes (int): Classes.
        in_channels (int): Channels of the pooled features.
        mlp_ratio (float, optional): Hidden channels of the MLP per input
            channel (4 for ConvFormer and CAFormer). Defaults to None: a
            linear layer.
        head_dropout (float): Dropout in the MLP (so only with
            ``mlp_ratio``), in [0, 1). Defaults to 0.
        norm_cfg (dict): The norm of the pooled features. Defaults to
            ``dict(type='LN', eps=1e-6)``.
        init_cfg (dict, optional): Defaults to :data:`HEAD_INIT_CFG`.
        **kwargs: mmpretrain ``ClsHead``'s ``loss``, ``topk``, ``cal_acc``.

    Raises:
        TypeError, ValueError: An argument of the wrong type or value.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 mlp_ratio: Optional[float] = None,
                 head_dropout: float = 0.,
                 norm_cfg: Union[str, Dict] = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[Dict] = HEAD_INIT_CFG,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        self.num_classes = check_int('num_classes', num_classes, minimum=1)
        self.in_channels = check_int('in_channels', in_channels, minimum=1)
        check_number('head_dropout', head_dropout, 0, 1, high_open=True)
        self.norm = build_norm(norm_cfg, in_channels)
        if mlp_ratio is None:
            if head_dropout:
                raise ValueError('head_dropout needs the MLP head: set '
                                 f'mlp_ratio, got head_dropout={head_dropout}')
            self.fc = nn.Linear(in_channels, num_classes)
        else:
            hidden = int(check_number('mlp_ratio', mlp_ratio, 0) * in_channels)
            if hidden < 1:
                raise ValueError('mlp_ratio must leave the MLP at least one '
                                 f'hidden channel, got {mlp_ratio!r}')
            self.fc = MlpHead(in_channels, hidden, num_classes, head_dropout)

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The normed pooled features of the last stage, (N, C)."""
        return self.norm(feats[-1])

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The logits, (N, num_classes)."""
        return self.fc(self.pre_logits(feats))
