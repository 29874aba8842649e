# Semantic FPN with a PoolFormer-M36 backbone on ADE20K, 40k iterations. Paper
# (MetaFormer, CVPR 2022): 59.8M params, mIoU 42.4 on the validation set
# (single scale). The backbone: _base_/models/poolformer_m36.py.
_base_ = [
    './fpn_poolformer_s12_ade20k_40k.py',
    './_base_/models/poolformer_m36.py'
]

model = dict(
    backbone={{_base_.backbone}},
    neck=dict(in_channels=[96, 192, 384, 768]))
