"""What the tools run, importable: training and testing from a config
(:mod:`.training`, :mod:`.testing`) and inference with the OpenMMLab
Inferencers (mmdet, mmseg, mmpretrain), which this package imports only
when an Inferencer is built."""
from .inferencers import build_inferencer, run_inferencer
from .summary import describe_prediction, inferencer_classes
from .testing import prepare_test, run_test
from .training import prepare_training, run_training

__all__ = [
    'build_inferencer', 'describe_prediction', 'inferencer_classes',
    'prepare_test', 'prepare_training', 'run_inferencer', 'run_test',
    'run_training'
]
