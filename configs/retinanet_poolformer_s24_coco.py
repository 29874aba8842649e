# RetinaNet + FPN with a PoolFormer-S24 backbone on COCO, 1x schedule. Paper
# (MetaFormer, CVPR 2022): 31.1M params, box AP 38.9 on val2017. The backbone:
# _base_/models/poolformer_s24.py.
_base_ = [
    './retinanet_poolformer_s12_coco.py',
    './_base_/models/poolformer_s24.py'
]

model = dict(backbone={{_base_.backbone}})
