# Semantic FPN with a PoolFormer-M48 backbone on ADE20K, 40k iterations. Paper
# (MetaFormer, CVPR 2022): 77.1M params, mIoU 42.7 on the validation set
# (single scale). The backbone: _base_/models/poolformer_m48.py.
_base_ = [
    './fpn_poolformer_s12_ade20k_40k.py',
    './_base_/models/poolformer_m48.py'
]

model = dict(
    backbone={{_base_.backbone}},
    neck=dict(in_channels=[96, 192, 384, 768]))
