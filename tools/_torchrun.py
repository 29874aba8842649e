"""torchrun for dist_train.sh and dist_test.sh. When a process fails,
torchrun stops the others; this ends with one ``error:`` line naming the
process that failed first, instead of torchrun's traceback."""
import sys

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run


def describe(rank, failure):
    if failure.exitcode < 0:
        ending = f'was killed by {failure.signal_name()}'
    else:
        ending = f'exited with status {failure.exitcode}'
    return f'process rank {rank} (pid {failure.pid}) {ending}'


def main(argv):
    try:
        run(parse_args(argv))
    except ChildFailedError as error:
        rank, failure = error.get_first_failure()
        print(
            f'error: {describe(rank, failure)}; the other processes were '
            'stopped (its own messages, if any, are above)',
            file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main(sys.argv[1:])
