# Semantic FPN with a PoolFormer-S36 backbone on ADE20K, 40k iterations. Paper
# (MetaFormer, CVPR 2022): 34.6M params, mIoU 42.0 on the validation set
# (single scale). The backbone: _base_/models/poolformer_s36.py.
_base_ = [
    './fpn_poolformer_s12_ade20k_40k.py',
    './_base_/models/poolformer_s36.py'
]

model = dict(backbone={{_base_.backbone}})
