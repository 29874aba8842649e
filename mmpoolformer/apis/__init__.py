"""Inference with the OpenMMLab Inferencers (mmdet, mmseg, mmpretrain),
which this package imports only when an Inferencer is built."""
from .inferencers import build_inferencer, run_inferencer
from .summary import describe_prediction, inferencer_classes

__all__ = [
    'build_inferencer', 'describe_prediction', 'inferencer_classes',
    'run_inferencer'
]
