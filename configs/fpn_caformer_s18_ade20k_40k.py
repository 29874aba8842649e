# Semantic FPN with a CAFormer-S18 backbone (MetaFormer Baselines) on ADE20K,
# 40k iterations (8 GPUs x 4 images, 512x512 crops), PoolFormer's segmentation
# recipe (AdamW, lr 2e-4, poly). Neither the authors nor OpenMMLab report a
# number for it. The backbone: _base_/models/caformer_s18.py.
_base_ = [
    './fpn_poolformer_s12_ade20k_40k.py',
    './_base_/models/caformer_s18.py'
]

model = dict(backbone={{_base_.backbone}})
