"""A two-parameter model and an mmengine Runner that trains it for two
iterations, for tests of what a Runner writes and reads."""
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner


class Tiny(BaseModel):
    """A linear regression from 2 inputs to 1."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='loss'):
        return dict(loss=(self.fc(inputs) - labels).square().mean())


def tiny_runner(work_dir, runner_cls=Runner, **hook):
    """A ``runner_cls`` that trains :class:`Tiny` for two iterations and
    saves a checkpoint after each; ``hook`` adds to its CheckpointHook."""
    data = [(torch.randn(2), torch.randn(1)) for _ in range(4)]
    return runner_cls(
        model=Tiny(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data, sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=2),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=1, by_epoch=False, **hook)),
        default_scope='mmengine')
