"""Distributed runs on machines without CUDA: CPU processes over gloo."""
import datetime
from typing import Any, MutableMapping

import torch
import torch.distributed as torch_dist
from mmengine.logging import print_log


def set_up_cpu_launch(cfg: MutableMapping) -> None:
    """Makes a ``pytorch`` (torchrun) launch of ``cfg`` run as CPU processes
    over gloo on a machine without CUDA; changes nothing otherwise.

    mmengine's own initialisation selects a CUDA device and DDP gets that
    device's id; neither exists on a CPU-only machine. Here the gloo
    process group is created before the Runner (which then keeps it), DDP
    wraps the model without device ids (unless the config has a
    ``model_wrapper_cfg``), and SyncBN layers, which need CUDA to
    synchronise, become BN. ``env_cfg.dist_cfg.timeout`` (seconds) is how
    long a collective waits for a silent process (torch's default, 30
    minutes, without it).

    Args:
        cfg (MutableMapping): The config, changed in place.
    """
    if cfg.get('launcher') != 'pytorch' or torch.cuda.is_available():
        return
    env_cfg = dict(cfg.get('env_cfg') or {})
    dist_cfg = dict(env_cfg.get('dist_cfg') or {}, backend='gloo')
    if not torch_dist.is_initialized():
        timeout = dist_cfg.get('timeout')
        torch_dist.init_process_group(
            backend='gloo',
            **({} if timeout is None else
               dict(timeout=datetime.timedelta(seconds=timeout))))
    cfg['env_cfg'] = dict(env_cfg, dist_cfg=dist_cfg)
    cfg.setdefault(
        'model_wrapper_cfg',
        dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False))
    if _replace_type(cfg.get('model'), 'SyncBN', 'BN'):
        print_log(
            'No CUDA: SyncBN layers run as BN in each CPU process.',
            logger='current')


def end_process_group() -> None:
    """Destroys the default process group, if there is one, so that its
    threads stop before the interpreter exits: a process that exits with a
    gloo group alive can abort in a thread's destructor ("terminate called
    without an active exception") after its work is done. The tools call it
    at the end of a run. The processes first wait for each other, so that
    none closes its connections while another still uses them."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def _replace_type(node: Any, old: str, new: str) -> bool:
    """Replaces ``type=old`` by ``type=new`` in nested dicts and lists, in
    place.

    Returns:
        bool: Whether it found any.
    """
    found = False
    if isinstance(node, dict):
        if node.get('type') == old:
            node['type'] = new
            found = True
        for value in node.values():
            found = _replace_type(value, old, new) or found
    elif isinstance(node, (list, tuple)):
        for value in node:
            found = _replace_type(value, old, new) or found
    return found
