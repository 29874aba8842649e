# Semantic FPN with a PoolFormer-S24 backbone on ADE20K, 40k iterations. Paper
# (MetaFormer, CVPR 2022): 23.2M params, mIoU 40.3 on the validation set
# (single scale). The model has 25.1M params: 23.2M is a misprint, since the
# same backbone gives the paper's RetinaNet-S24 (31.1M) and Mask R-CNN-S24
# (41.0M), and FPN + head add 4.3M to S12 and S36 alike. The backbone:
# _base_/models/poolformer_s24.py.
_base_ = [
    './fpn_poolformer_s12_ade20k_40k.py',
    './_base_/models/poolformer_s24.py'
]

model = dict(backbone={{_base_.backbone}})
