# Semantic FPN with a PoolFormer-M48 backbone on ADE20K, 40k iterations.
# Paper (MetaFormer, CVPR 2022): 77.1M params, mIoU 42.7 on the
# validation set (single scale).
_base_ = './fpn_poolformer_s12_ade20k_40k.py'

model = dict(
    backbone=dict(
        arch='m48',
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_m48.pth.tar')),
    neck=dict(in_channels=[96, 192, 384, 768]))
