"""Random numbers that do not depend on where training was resumed."""
import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmpoolformer.registry import HOOKS


def iteration_seed(seed: int, rank: int, iteration: int) -> int:
    """A 32-bit seed drawn from ``(seed, rank, iteration)``.

    NumPy's ``SeedSequence`` hashes the three numbers, so neighbouring
    iterations and ranks get unrelated streams.
    """
    entropy = [seed % 2**32, rank, iteration]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@HOOKS.register_module()
class IterationSeedHook(Hook):
    """Seeds Python's, NumPy's and PyTorch's generators before every
    training iteration from the run's seed, the process rank and the
    iteration number.

    mmengine restores the weights, optimizer, schedulers, iteration and
    message hub on resume, but the generators restart from the run's seed.
    Anything the model draws during a step (drop path, proposal sampling)
    then differs from an uninterrupted run. With this hook, iteration ``i``
    draws the same numbers whether or not the run was resumed before it, on
    any number of processes. ``tools/train.py`` adds it to every run.

    Data augmentation runs in the dataloader's worker processes, which
    mmengine seeds by their worker id and rank; resuming replays their
    batches exactly when ``num_workers >= 1``. With ``num_workers=0`` the
    skipped batches are augmented in the main process and use up numbers in
    a different order.
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx: int, data_batch=None):
        seed = iteration_seed(runner.seed, get_rank(), runner.iter)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
