# Semantic FPN with a ConvFormer-S18 backbone (MetaFormer Baselines) on ADE20K,
# 40k iterations, PoolFormer's segmentation recipe. Neither the authors nor
# OpenMMLab report a number for it. The backbone:
# _base_/models/convformer_s18.py.
_base_ = [
    './fpn_poolformer_s12_ade20k_40k.py',
    './_base_/models/convformer_s18.py'
]

model = dict(backbone={{_base_.backbone}})
