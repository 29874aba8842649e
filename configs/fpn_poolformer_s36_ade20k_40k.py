# Semantic FPN with a PoolFormer-S36 backbone on ADE20K, 40k iterations.
# Paper (MetaFormer, CVPR 2022): 34.6M params, mIoU 42.0 on the
# validation set (single scale).
_base_ = './fpn_poolformer_s12_ade20k_40k.py'

model = dict(
    backbone=dict(
        arch='s36',
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s36.pth.tar')))
