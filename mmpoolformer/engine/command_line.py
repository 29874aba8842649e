"""What the command-line tools (``tools/``, ``demo/``) share in parsing
their arguments and reporting errors: the mistakes a user is expected to make
end a tool with one ``error: ...`` line on stderr, not a traceback (exit
status 1; 2 for a usage error of the parser)."""
import argparse
import functools
import os
import sys

from mmengine.config import DictAction

from ..analysis import DEFAULT_SHAPES
from ..checkpoint import CheckpointError
from ..datasets import DataError
from .config_loading import UsageError


def reports_errors(main):
    """Decorates a tool's ``main`` so that user errors end it with one line
    on stderr and exit status 1."""

    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except (UsageError, CheckpointError, DataError) as error:
            print(f'error: {error}', file=sys.stderr)
            sys.exit(1)

    return run


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser whose usage errors end with the tools' own
    ``error: ...`` line (after the usage), exit status 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f'error: {message}', file=sys.stderr)
        sys.exit(2)


class OptionsAction(DictAction):
    """mmengine's ``--cfg-options`` parsing, with a usage error instead of a
    traceback for an option it cannot parse (no ``=``, unbalanced
    brackets)."""

    def __call__(self, parser, namespace, values, option_string=None):
        for value in values:
            if '=' not in value:
                raise argparse.ArgumentError(
                    self, f'{value!r} is no KEY=VALUE pair')
        try:
            super().__call__(parser, namespace, values, option_string)
        except (AssertionError, ValueError) as error:
            raise argparse.ArgumentError(
                self, f'cannot parse {" ".join(values)!r}: {error}')


def positive(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'{text} is not a positive integer')
    return value


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """Adds the positional ``config`` and ``--cfg-options``."""
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=OptionsAction,
        help='override settings of the config, e.g. '
        '"train_dataloader.batch_size=4 model.backbone.drop_path_rate=0.1"; '
        'each key must exist in the config or add an argument of the class '
        'that a dict of the config builds')


def add_launcher_args(parser: argparse.ArgumentParser) -> None:
    """Adds ``--launcher`` and the ``--local-rank`` older launchers pass."""
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_fuse_arg(parser: argparse.ArgumentParser) -> None:
    """Adds ``--fuse`` / ``--no-fuse``: the backbone channels-last and
    fused for inference, or as built; neither takes the default
    (:func:`~mmpoolformer.engine.choose_fast_inference`: on CPU)."""
    parser.add_argument(
        '--fuse',
        action=argparse.BooleanOptionalAction,
        default=None,
        help='run our backbone channels-last and fused for inference (the '
        'same outputs to float rounding, faster), or --no-fuse as built; '
        'default: fused on CPU, as built on CUDA')


def local_rank_env(local_rank: int) -> None:
    """Exports LOCAL_RANK for launchers that pass ``--local-rank``."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def add_shape_arg(parser: argparse.ArgumentParser) -> None:
    """Adds ``--shape`` (image height and width) for models run on random
    images."""
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        help='image height and width, or one size for both; defaults to '
        '800 1280 for mmdet, 512 512 for mmseg and 224 224 for mmpretrain')


def image_shape(values, scope: str) -> tuple:
    """(height, width) from ``--shape`` values, or the scope's default."""
    if not values:
        return DEFAULT_SHAPES[scope]
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return tuple(values)
    raise UsageError(f'--shape takes one or two sizes, got {len(values)}')
