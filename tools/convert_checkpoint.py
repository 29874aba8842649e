"""Convert a PoolFormer checkpoint to mmpoolformer's parameter names.

Reads backbone checkpoints (official sail-sg ImageNet ``.pth.tar``, timm,
mmpretrain) and whole detector / segmentor checkpoints (the official mmdet
2.x / mmseg 0.x releases); only the backbone's keys change. The result loads
with ``load_from``, ``tools/test.py`` or a backbone's ``init_cfg``.
"""
import argparse
import os
import os.path as osp

import torch

from mmpoolformer.checkpoint import (CheckpointError, convert_state_dict,
                                     load_state_dict)
from _cli import CLIError, reports_errors


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='checkpoint to convert (file or URL)')
    parser.add_argument('dst', help='where to save the converted checkpoint')
    return parser.parse_args()


@reports_errors
def main():
    args = parse_args()
    state_dict = load_state_dict(args.src)
    try:
        state_dict = convert_state_dict(state_dict)
    except CheckpointError as error:
        raise CLIError(f'{args.src}: {error}') from None
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(
        dict(state_dict=state_dict, meta=dict(converted_from=args.src)),
        args.dst)
    print(f'saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
